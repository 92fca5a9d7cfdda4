// The popup's last stop, behaving exactly as the ERP's /integrations/callback page: on status=success it shows
// "Connected as {email}!" (or "Connected!"), posts {type: "oauth-success"} to its opener with target "*" and closes
// itself after 1.5 s; with no opener it navigates client-side (as React Router does: history.pushState, then the app
// renders the new route) to /integrations after 2 s. On status=error it shows `message` (or "Connection failed") and
// posts nothing. It never rewrites its own URL, so the opener can read the popup's location.
(function () {
  const query = new URLSearchParams(window.location.search);
  const outcome = document.getElementById("outcome");
  const title = document.getElementById("title");
  const message = document.getElementById("message");
  if (query.get("status") === "success") {
    outcome.className = "outcome success";
    title.textContent = "Success";
    const email = query.get("email");
    message.textContent = email ? `Connected as ${email}!` : "Connected!";
    if (window.opener) {
      window.opener.postMessage({ type: "oauth-success" }, "*");
      setTimeout(() => window.close(), 1500);
    } else {
      setTimeout(() => {
        window.history.pushState(null, "", "/integrations");
        window.dispatchEvent(new PopStateEvent("popstate", { state: null }));
      }, 2000);
    }
  } else if (query.get("status") === "error") {
    outcome.className = "outcome error";
    title.textContent = "Connection failed";
    message.textContent = query.get("message") || "Connection failed";
  }
})();
