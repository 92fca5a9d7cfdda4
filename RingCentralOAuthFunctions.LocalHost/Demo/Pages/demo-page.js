// The demo ERP's Integrations page. It uses the front-end module the ERP pastes in (docs/frontend/ringcentralOAuth.js,
// served as is) exactly as docs/frontend.md shows; only the sign-in (the Supabase stand-in) and the attack panel
// are demo additions.
import { createRingCentralOAuth, RingCentralOAuthError } from "/demo/ringcentralOAuth.js";

const sessionKey = "demo-erp-session";
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @type {{key: string, name: string, email: string, accessToken: string} | null} */
let session = JSON.parse(sessionStorage.getItem(sessionKey) ?? "null");
/** @type {{key: string, name: string, email: string}[]} */
let users = [];

// In the ERP this is import.meta.env.VITE_RINGCENTRAL_OAUTH_BASE_URL; the demo serves the page and the service together.
const baseUrl = window.location.origin;

const ringCentral = createRingCentralOAuth({ baseUrl, getAccessToken: async () => session?.accessToken, window });
// As the top of the ERP's main.tsx, on every page load. On this page there is nothing to resume (it resolves null);
// the callback page's app start (app-start.js) finishes a same-tab connect and leaves its outcome for this page.
void ringCentral.resumeAfterRedirect();

async function postJson(url, body) {
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

/** The Supabase stand-in's sign-in: the ERP user's access token. */
async function signIn(key) {
  const { accessToken, user } = await postJson("/demo/sign-in", { user: key });
  return { ...user, accessToken };
}

const otherUser = () => users.find((u) => u.key !== session?.key);

function showError(element, error) {
  element.dataset.kind = error instanceof RingCentralOAuthError ? error.kind : "unknown";
  if (error instanceof RingCentralOAuthError && error.httpStatus !== undefined) element.dataset.httpStatus = String(error.httpStatus);
  element.textContent = error instanceof Error ? error.message : String(error);
}

function clearResult(element, text) {
  for (const name of ["kind", "httpStatus", "outcome", "refused"]) delete element.dataset[name];
  element.textContent = text;
}

async function reloadStatus() {
  const status = $("status");
  if (!session) return;
  try {
    const s = await ringCentral.getStatus();
    status.dataset.status = s.status;
    status.textContent = s.status === "connected" ? `Connected as ${s.email}` : s.status === "error" ? `Error: ${s.error}` : "Not connected";
    // Disconnect only when there is a connection to remove (an "error" status is a stored connection that fails).
    $("disconnect").hidden = s.status === "not_connected";
  } catch (error) {
    status.dataset.status = "unknown";
    $("disconnect").hidden = true;
    status.textContent = "Status unavailable";
    showError($("result"), error);
  }
}

function cell(value) {
  const td = document.createElement("td");
  td.textContent = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  return td;
}

function rowTable(caption, row, columns, id) {
  const wrapper = document.createElement("div");
  wrapper.id = id;
  wrapper.dataset.stored = String(row !== null);
  const title = document.createElement("div");
  title.innerHTML = "<code></code>";
  title.firstElementChild.textContent = caption;
  wrapper.append(title);
  if (row === null) {
    const none = document.createElement("p");
    none.className = "none";
    none.textContent = "no row";
    wrapper.append(none);
    return wrapper;
  }
  const table = document.createElement("table");
  for (const [name, pick] of columns) {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.textContent = name;
    const td = cell(pick(row));
    td.dataset.column = name;
    tr.append(th, td);
    table.append(tr);
  }
  wrapper.append(table);
  return wrapper;
}

async function reloadRows() {
  const container = $("rows");
  try {
    const response = await fetch("/demo/rows", { cache: "no-store" });
    const rows = await response.json();
    container.replaceChildren(...rows.map((user) => {
      const section = document.createElement("div");
      const heading = document.createElement("h3");
      heading.textContent = `${user.name}'s rows`;
      section.append(
        heading,
        rowTable("user_ringcentral_tokens", user.tokens, [
          ["rc_email", (r) => r.rc_email], ["access_token", (r) => r.access_token], ["refresh_token", (r) => r.refresh_token],
          ["token_expires_at", (r) => r.token_expires_at], ["updated_at", (r) => r.updated_at],
        ], `rows-${user.key}-tokens`),
        rowTable("integration_connections", user.connection, [
          ["status", (r) => r.status], ["config", (r) => r.config], ["error_message", (r) => r.error_message],
          ["last_checked_at", (r) => r.last_checked_at],
        ], `rows-${user.key}-connection`));
      return section;
    }));
  } catch {
    container.textContent = "The rows could not be read.";
  }
}

function render() {
  const signedIn = session !== null;
  $("who").textContent = signedIn ? `Signed in as ${session.name} (${session.email}).` : "Not signed in.";
  $("who").dataset.user = session?.key ?? "";
  $("signin-buttons").hidden = signedIn;
  $("sign-out").hidden = !signedIn;
  $("integration-card").hidden = !signedIn;
  if (!signedIn) $("disconnect").hidden = true;
  $("attack-card").hidden = !signedIn;
  for (const el of document.querySelectorAll(".me-name")) el.textContent = session?.name ?? "me";
  for (const el of document.querySelectorAll(".other-name")) el.textContent = otherUser()?.name ?? "the other user";
}

async function afterSessionChange() {
  render();
  clearResult($("result"), "");
  clearResult($("attack-result"), "");
  await Promise.all([reloadStatus(), reloadRows()]);
}

// Every connect that settles (popup, same tab, the attack panel's) is announced after Complete: reload then.
window.addEventListener("ringcentral-oauth", () => Promise.all([reloadStatus(), reloadRows()]));

$("connect").addEventListener("click", async () => {
  const result = $("result");
  clearResult(result, "Connecting...");
  try {
    // Called first thing in the click: the popup opens at once, before the service has answered.
    const outcome = await ringCentral.connect();
    result.dataset.outcome = outcome;
    result.textContent = outcome === "success" ? "RingCentral connected." : `Popup ended: ${outcome}.`;
  } catch (error) {
    showError(result, error);
  }
});

$("connect-tab").addEventListener("click", async () => {
  const result = $("result");
  clearResult(result, "Going to RingCentral in this tab...");
  try {
    await ringCentral.connectInThisTab();
  } catch (error) {
    showError(result, error);
  }
});

/** How a same-tab connect ended, left by the callback page's app start (app-start.js). */
function showLastOutcome() {
  const last = JSON.parse(sessionStorage.getItem("demo-last-outcome") ?? "null");
  sessionStorage.removeItem("demo-last-outcome");
  if (!last) return;
  const result = $("result");
  clearResult(result, last.text);
  if (last.outcome) result.dataset.outcome = last.outcome;
  if (last.kind) result.dataset.kind = last.kind;
}

$("disconnect").addEventListener("click", async () => {
  const result = $("result");
  clearResult(result, "");
  try {
    await ringCentral.disconnect();
    result.textContent = "RingCentral disconnected.";
  } catch (error) {
    showError(result, error);
  }
  await Promise.all([reloadStatus(), reloadRows()]);
});

$("sign-out").addEventListener("click", async () => {
  session = null;
  sessionStorage.removeItem(sessionKey);
  await afterSessionChange();
});

// The attack panel. The other user's link is what that user's own browser would get from GetAuthUrl.
$("attack-get-other").addEventListener("click", async () => {
  const other = otherUser();
  if (!other) return;
  const attacker = await signIn(other.key);
  const link = await createRingCentralOAuth({ baseUrl, getAccessToken: () => attacker.accessToken, window }).getAuthUrl();
  $("attack-link").value = link;
  $("attack-link-owner").textContent = `${other.name}'s, as if ${other.name} had sent it to you`;
});

$("attack-get-mine").addEventListener("click", async () => {
  $("attack-link").value = await ringCentral.getAuthUrl();
  $("attack-link-owner").textContent = `yours, ${session?.name}: copy it into a tab signed in as ${otherUser()?.name}`;
});

$("attack-copy").addEventListener("click", async () => {
  const text = $("attack-link");
  text.select();
  try {
    await navigator.clipboard.writeText(text.value);
  } catch {
    document.execCommand("copy");
  }
});

/**
 * The module, unchanged, opening a link that came by chat or mail instead of from GetAuthUrl: only the answer to
 * its auth-url call is replaced; the popup, the callback page's message and everything after it are the module's.
 */
function clientOpening(link) {
  const shimFetch = (input, init) => String(input).endsWith("/api/ringcentral/auth-url")
    ? Promise.resolve(new Response(JSON.stringify({ authUrl: link }), { status: 200, headers: { "Content-Type": "application/json" } }))
    : window.fetch(input, init);
  const shimWindow = new Proxy(window, {
    get(target, name) {
      if (name === "fetch") return shimFetch;
      const value = Reflect.get(target, name, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return createRingCentralOAuth({ baseUrl, getAccessToken: async () => session?.accessToken, window: shimWindow });
}

$("attack-open").addEventListener("click", async () => {
  const result = $("attack-result");
  const link = $("attack-link").value.trim();
  if (!/^https?:\/\//i.test(link)) {
    clearResult(result, "Get or paste an authorize link first.");
    return;
  }
  clearResult(result, "Waiting for the popup...");
  try {
    const outcome = await clientOpening(link).connect();
    result.dataset.outcome = outcome;
    result.textContent = outcome === "success"
      ? "The connection was completed. Look at the stored rows: whose ERP account holds which RingCentral account?"
      : `Popup ended: ${outcome}. Nothing was completed.`;
  } catch (error) {
    showError(result, error);
    if (error instanceof RingCentralOAuthError && error.httpStatus === 403) {
      result.dataset.refused = "true";
      result.textContent = `Refused by the service (HTTP 403): ${error.message} Nothing was exchanged or stored.`;
    }
  }
});

$("rows-reload").addEventListener("click", reloadRows);

users = await (await fetch("/demo/users", { cache: "no-store" })).json();
$("signin-buttons").replaceChildren(...users.map((user) => {
  const button = document.createElement("button");
  button.id = `sign-in-${user.key}`;
  button.className = "primary";
  button.textContent = `Sign in as ${user.name}`;
  button.addEventListener("click", async () => {
    session = await signIn(user.key);
    sessionStorage.setItem(sessionKey, JSON.stringify(session));
    await afterSessionChange();
  });
  return button;
}));
await afterSessionChange();
showLastOutcome();
document.body.dataset.ready = "true";
