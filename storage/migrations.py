"""Numbered schema migrations: an ordered list of small functions, applied once each.

Adding a schema change means adding one `@migration` function at the bottom, named
`mNNN_what_it_does`. `migrate(db)` applies, in order and each in its own transaction, every
migration not yet recorded in `schema_migrations`. Never edit a migration that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations on a fresh connection (`Database` does it on open); returns the names applied.

    It takes the bare connection, not a `Database`, so that this module needs nothing from `storage.db`."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    done = {name for (name,) in con.execute("SELECT name FROM schema_migrations").fetchall()}
    applied = []
    for version, fn in enumerate(MIGRATIONS, start=1):
        if fn.__name__ in done:
            continue
        con.begin()
        try:
            fn(con)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, fn.__name__])
        except BaseException:
            con.rollback()
            raise
        con.commit()
        applied.append(fn.__name__)
    return applied


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


@migration
def m001_core_data(con: duckdb.DuckDBPyConnection) -> None:
    """Customers, their behaviour and preferences, products, orders, and the data-issue log."""
    con.execute("""
        CREATE TABLE customers (
            customer_id VARCHAR PRIMARY KEY,
            first_name VARCHAR,
            last_name VARCHAR,
            email VARCHAR,
            created_at TIMESTAMP,
            source VARCHAR NOT NULL,            -- 'demo' or 'import:<file name>'
            quarantine_reason VARCHAR           -- NULL = usable; set = never clustered or emailed
        );
        CREATE TABLE customer_behavior (
            customer_id VARCHAR PRIMARY KEY,
            customer_type VARCHAR,              -- low / medium / high / premium spender
            total_spent DOUBLE,
            order_count INTEGER,
            avg_order_value DOUBLE,
            days_since_last_purchase INTEGER,
            visit_frequency DOUBLE,             -- site visits per month
            cart_abandonment_rate DOUBLE,       -- 0..1
            categories_bought VARCHAR[]         -- from imported orders, when there are any
        );
        CREATE TABLE customer_preferences (
            customer_id VARCHAR PRIMARY KEY,
            style VARCHAR,                      -- budget / casual / fashion / luxury
            preferred_categories VARCHAR[],
            preferred_brands VARCHAR[],
            price_range_min DOUBLE,
            price_range_max DOUBLE,
            discount_sensitivity DOUBLE,        -- 0..1
            luxury_affinity DOUBLE              -- 0..1
        );
        CREATE TABLE products (
            sku VARCHAR PRIMARY KEY,
            name VARCHAR,
            category VARCHAR,
            brand VARCHAR,
            brand_tier VARCHAR,                 -- budget / mid / premium / luxury
            cost DOUBLE,
            margin DOUBLE,                      -- markup on cost: price = cost * (1 + margin)
            price DOUBLE,
            stock INTEGER,
            created_at TIMESTAMP,
            source VARCHAR NOT NULL
        );
        CREATE TABLE orders (
            order_id VARCHAR NOT NULL,
            line INTEGER NOT NULL DEFAULT 1,
            customer_id VARCHAR NOT NULL,
            ordered_at TIMESTAMP,
            amount DOUBLE,
            sku VARCHAR,
            category VARCHAR,
            source VARCHAR NOT NULL,
            PRIMARY KEY (order_id, line)
        );
        CREATE SEQUENCE data_issue_ids;
        CREATE TABLE data_issues (
            issue_id BIGINT PRIMARY KEY DEFAULT nextval('data_issue_ids'),
            run_id VARCHAR NOT NULL,            -- one import, generation or validation run
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            table_name VARCHAR NOT NULL,
            row_key VARCHAR,                    -- customer_id / sku / order_id when known
            source_file VARCHAR,
            line BIGINT,                        -- 1-based line in source_file (header = 1)
            field VARCHAR,
            problem VARCHAR NOT NULL,
            raw_value VARCHAR,
            action VARCHAR NOT NULL             -- rejected / quarantined / fixed / flagged
        );
        CREATE TABLE suppressions (
            email VARCHAR PRIMARY KEY,          -- lower-cased
            reason VARCHAR NOT NULL,            -- unsubscribed / bounced / complaint / manual
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            source VARCHAR
        );
    """)


@migration
def m002_segments(con: duckdb.DuckDBPyConnection) -> None:
    """Segmentation runs, each customer's segment, and each segment's profile and name."""
    con.execute("""
        CREATE TABLE segment_runs (
            run_id INTEGER PRIMARY KEY,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            k INTEGER NOT NULL,
            seed INTEGER,
            method VARCHAR,                     -- kmeans / minibatch
            features JSON,                      -- feature list used
            params JSON,
            metrics JSON,
            transformer BLOB,                   -- fitted scaler/encoders (pickle), to reproduce
            stability_ari DOUBLE,
            is_active BOOLEAN NOT NULL DEFAULT false
        );
        CREATE TABLE segment_members (
            run_id INTEGER NOT NULL,
            customer_id VARCHAR NOT NULL,
            segment INTEGER NOT NULL,
            PRIMARY KEY (run_id, customer_id)
        );
        CREATE TABLE segments (
            run_id INTEGER NOT NULL,
            segment INTEGER NOT NULL,
            name VARCHAR,
            description VARCHAR,
            named_by VARCHAR,                   -- model / rule / user
            size INTEGER,
            share DOUBLE,
            profile JSON,
            PRIMARY KEY (run_id, segment)
        );
    """)


@migration
def m003_campaigns(con: duckdb.DuckDBPyConnection) -> None:
    """Campaigns, their draft versions, per-recipient messages, tracking events, app secrets."""
    con.execute("""
        CREATE SEQUENCE campaign_ids START 1;
        CREATE TABLE campaigns (
            campaign_id INTEGER PRIMARY KEY DEFAULT nextval('campaign_ids'),
            name VARCHAR NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'draft',  -- draft/approved/sending/paused/sent/cancelled
            run_id INTEGER,                           -- segmentation run the audience comes from
            segments INTEGER[],                       -- target segments (NULL = everyone eligible)
            skus VARCHAR[],
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            approved_version INTEGER,
            approved_by VARCHAR,
            approved_at TIMESTAMP,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE campaign_versions (
            campaign_id INTEGER NOT NULL,
            version INTEGER NOT NULL,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            author VARCHAR NOT NULL,                  -- model / template / user
            instruction VARCHAR,                      -- the revision request that produced it
            variants JSON NOT NULL,                   -- [{variant, subject, preheader, blocks, cta_text}]
            cta_url VARCHAR,
            skus VARCHAR[],
            PRIMARY KEY (campaign_id, version)
        );
        CREATE TABLE messages (
            campaign_id INTEGER NOT NULL,
            customer_id VARCHAR NOT NULL,
            email VARCHAR NOT NULL,
            first_name VARCHAR,
            segment INTEGER,
            variant VARCHAR,
            recommended_sku VARCHAR,
            status VARCHAR NOT NULL DEFAULT 'queued', -- queued / sending / sent / failed / skipped
            attempts INTEGER NOT NULL DEFAULT 0,
            last_reply VARCHAR,
            message_id VARCHAR,                       -- RFC 5322 Message-ID, fixed when queued
            sent_at TIMESTAMP,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (campaign_id, customer_id)
        );
        CREATE SEQUENCE event_ids START 1;
        CREATE TABLE events (
            event_id BIGINT PRIMARY KEY DEFAULT nextval('event_ids'),
            campaign_id INTEGER NOT NULL,
            customer_id VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,                    -- open / click / unsubscribe
            url VARCHAR,
            occurred_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            user_agent VARCHAR
        );
        CREATE TABLE app_secrets (
            name VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
    """)


@migration
def m004_shortlists(con: duckdb.DuckDBPyConnection) -> None:
    """Named product shortlists ('default', or one per campaign/chat), so chosen products can be referred to later."""
    con.execute("""
        CREATE TABLE shortlists (
            name VARCHAR NOT NULL,
            sku VARCHAR NOT NULL,
            position INTEGER NOT NULL,                -- order of adding: "the first one"
            added_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (name, sku)
        );
    """)


@migration
def m005_campaign_sends(con: duckdb.DuckDBPyConnection) -> None:
    """One row per campaign that started sending: who was left out when the list was frozen, and when."""
    con.execute("""
        CREATE TABLE campaign_sends (
            campaign_id INTEGER PRIMARY KEY,
            frozen_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            recipients INTEGER NOT NULL,              -- message rows queued at freeze time
            excluded JSON NOT NULL,                   -- {reason: count} the audience left out
            finished_at TIMESTAMP,
            last_stop VARCHAR                         -- why the last run stopped early (paused, server gone, ...)
        );
    """)


@migration
def m006_data_issue_new_value(con: duckdb.DuckDBPyConnection) -> None:
    """What a `validate --fix` repair wrote, beside the value it replaced (raw_value), so each change can be checked."""
    con.execute("ALTER TABLE data_issues ADD COLUMN new_value VARCHAR")


@migration
def m007_predictions(con: duckdb.DuckDBPyConnection) -> None:
    """Customer-value model fits (date, parameters, holdout check) and each customer's latest scores."""
    con.execute("""
        CREATE SEQUENCE prediction_fit_ids START 1;
        CREATE TABLE prediction_fits (
            fit_id INTEGER PRIMARY KEY DEFAULT nextval('prediction_fit_ids'),
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            source VARCHAR NOT NULL,                  -- orders (the orders log) / behaviour (customer columns)
            as_of DATE NOT NULL,                      -- end of the history the scores look forward from
            customers INTEGER NOT NULL,               -- scored
            repeat_customers INTEGER NOT NULL,
            r DOUBLE, alpha DOUBLE, a DOUBLE, b DOUBLE, -- BG/NBD, alpha in days
            p DOUBLE, q DOUBLE, gamma DOUBLE,         -- Gamma-Gamma, gamma in the shop's currency
            log_likelihood DOUBLE,
            margin DOUBLE NOT NULL,                   -- share of revenue kept as profit (1 = revenue)
            holdout JSON                              -- the check on held-back days, when asked for
        );
        CREATE TABLE predictions (                -- no key index: replacing 200k keyed rows took 11 s, unkeyed 0.25 s
            customer_id VARCHAR NOT NULL,             -- one row per customer (the summary groups by customer)
            fit_id INTEGER NOT NULL,
            repeat_purchases INTEGER NOT NULL,        -- purchase days after the first
            days_since_last_purchase INTEGER NOT NULL,
            orders_90d DOUBLE NOT NULL,               -- expected purchases in the next 90 days
            p_active DOUBLE NOT NULL,
            p_no_purchase_90d DOUBLE NOT NULL,        -- churn risk
            churn_risk VARCHAR NOT NULL,              -- low (< 33%) / medium / high (> 66%)
            next_order_date DATE,                     -- next order more likely than not by then; NULL = never
            avg_days_between_orders DOUBLE,           -- NULL without a repeat purchase
            expected_order_value DOUBLE,
            value_12m DOUBLE                          -- expected 12-month revenue x margin
        );
    """)


@migration
def m008_event_spool(con: duckdb.DuckDBPyConnection) -> None:
    """How far each tracking spool file is in `events` (web/event_spool.py): replay neither loses nor doubles."""
    con.execute("CREATE TABLE event_spool (file VARCHAR PRIMARY KEY, applied BIGINT NOT NULL)")


@migration
def m009_real_shop_data(con: duckdb.DuckDBPyConnection) -> None:
    """What real shops' exports carry: email consent per customer (with its source and time), order lines
    with quantity, unit price and returns (and lines without a customer), units sold per product,
    gross margin beside markup, and the shop's own settings (currency, postal address)."""
    con.execute("""
        ALTER TABLE customers ADD COLUMN email_consent BOOLEAN;     -- NULL = unknown
        ALTER TABLE customers ADD COLUMN consent_source VARCHAR;    -- 'demo', 'import:<file>'
        ALTER TABLE customers ADD COLUMN consent_at TIMESTAMP;
        ALTER TABLE orders ALTER COLUMN customer_id DROP NOT NULL;  -- a line without a customer still sold
        ALTER TABLE orders ADD COLUMN quantity DOUBLE;
        ALTER TABLE orders ADD COLUMN unit_price DOUBLE;
        ALTER TABLE orders ADD COLUMN description VARCHAR;
        ALTER TABLE orders ADD COLUMN country VARCHAR;
        ALTER TABLE orders ADD COLUMN is_return BOOLEAN NOT NULL DEFAULT false;  -- cancellation/return/refund
        ALTER TABLE products ADD COLUMN units_sold DOUBLE;          -- from an orders log
        ALTER TABLE products ADD COLUMN markup DOUBLE;              -- (price - cost) / cost
        CREATE TABLE shop_settings (
            name VARCHAR PRIMARY KEY,                               -- currency / postal_address
            value VARCHAR NOT NULL,
            source VARCHAR NOT NULL,                                -- 'user', 'detected', 'demo'
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
    """)
    # `margin` was a markup on cost (price = cost * (1 + margin)); it now means gross margin, the share of
    # the price that is profit, which is what a marketer means by "margin over 60%".
    con.execute("""
        UPDATE products SET markup = margin,
            margin = CASE WHEN price > 0 AND cost IS NOT NULL THEN round((price - cost) / price, 3)
                          WHEN margin > -1 THEN round(margin / (1 + margin), 3) END""")
    con.execute("UPDATE customers SET email_consent = true, consent_source = 'demo' WHERE source = 'demo'")


@migration
def m010_campaign_outlook(con: duckdb.DuckDBPyConnection) -> None:
    """A campaign for customers chosen by their predicted outlook ("high churn risk, predicted value over 200")
    keeps that choice, as JSON (storage.predictions.Outlook), so its send narrows the audience the same way."""
    con.execute("ALTER TABLE campaigns ADD COLUMN outlook VARCHAR")


@migration
def m011_campaign_follow_up(con: duckdb.DuckDBPyConnection) -> None:
    """A follow-up campaign's audience is an earlier sent campaign's recipients, all of them or those who opened,
    did not open, clicked or did not click it ("resend to the non-openers"): the campaign keeps which."""
    con.execute("""
        ALTER TABLE campaigns ADD COLUMN follow_up_of INTEGER;          -- the earlier campaign; NULL = no follow-up
        ALTER TABLE campaigns ADD COLUMN follow_up_engagement VARCHAR;  -- received / opened / not_opened / ...
    """)
