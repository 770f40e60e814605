"""The UCI Online Retail fixture read the obvious way, with pandas: the reference the figures of an imported
orders log are checked against, written once.

- A line's amount is quantity x unit price, to the penny.
- A return or cancellation is a C invoice or a negative line; its amount is negative.
- An invoice with no customer and no money in any line but some units is a stock movement (UCI's
  "incorrectly made-thrown away." at -64 units): no sale and no return, and left out, as the import leaves it out.
- Postage, fees and manual adjustments (`SERVICE_CODES`) are money but no product.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FIXTURE = Path(__file__).parent / "fixtures" / "online_retail.csv"
SERVICE_CODES = ["POST", "DOT", "C2", "M", "D", "BANK CHARGES", "AMAZONFEE", "CRUK", "S", "B"]


def uci_lines(stock_movements: bool = False) -> pd.DataFrame:
    """Every line with `quantity`, `amount`, `returned`, `when`, `customer` ("" when none) and `service`; the stock
    movements only when asked for."""
    lines = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    quantity, price = lines["Quantity"].astype(float), lines["UnitPrice"].astype(float)
    lines["quantity"], lines["amount"] = quantity, (quantity * price).round(2)
    lines["returned"] = lines["InvoiceNo"].str.startswith("C") | (quantity < 0) | (lines["amount"] < 0)
    lines.loc[lines["returned"], "amount"] = -lines["amount"].abs()
    lines["when"] = pd.to_datetime(lines["InvoiceDate"], format="%m/%d/%Y %H:%M")
    lines["customer"] = lines["CustomerID"].str.removesuffix(".0")
    lines["service"] = lines["StockCode"].isin(SERVICE_CODES)
    invoices = lines.assign(money=lines["amount"] != 0, known=lines["customer"] != "").groupby("InvoiceNo")
    movements = invoices[["money", "known"]].any().query("not money and not known").index
    return lines if stock_movements else lines[~lines["InvoiceNo"].isin(movements)].reset_index(drop=True)
