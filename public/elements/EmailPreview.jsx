// The rendered draft, shown as the recipient will see it. The HTML sits in a sandboxed iframe
// with no permissions at all: no scripts, forms, popups, navigation or access to this page.
export default function EmailPreview() {
  return (
    <div className="w-full flex flex-col gap-2">
      <div className="text-sm">
        Subject: <strong>{props.subject}</strong>
      </div>
      <iframe
        title="Email preview"
        sandbox=""
        referrerPolicy="no-referrer"
        srcDoc={props.html}
        style={{ width: "100%", height: "560px", border: "1px solid #d4d4d8", borderRadius: "8px", background: "#fff" }}
      />
    </div>
  );
}
