// @ts-check
/**
 * The ERP's client for the RingCentral OAuth service (GetAuthUrl, Complete, Status, Disconnect and the popup flow).
 *
 * Copy this file unchanged into the ERP (e.g. `src/lib/ringcentralOAuth.js`); `docs/frontend.md` lists every ERP
 * call site and its replacement. It is plain JavaScript that browsers run as it is, with its
 * types in JSDoc, which `tsc --checkJs` checks as strictly as TypeScript (`docs/frontend/tsconfig.json`). It imports
 * nothing: the base URL, the way to get the user's Supabase access token and the browser window are passed in, so
 * the very same file is type-checked and run in the repository's browser tests and its demo.
 *
 * It never sends a redirect URI: the service has its own, registered at RingCentral.
 *
 * The popup flow is finished by this window, not by the popup: the service's Callback sends the popup to the ERP's
 * `/integrations/callback` page with a short-lived ticket in the fragment (`#ticket=...`); when that page posts
 * `oauth-success`, this module reads the ticket from the popup (same origin by then) and posts it to
 * `POST /api/ringcentral/complete` with this window's session. The service stores the connection only if that
 * session's user is the one who asked for the authorize URL, so a link forwarded to a colleague connects nobody.
 *
 * The popup is opened synchronously, inside the click, on `about:blank`, and sent to RingCentral once the service
 * has answered: a slow (cold) service never turns into a blocked popup. A page that connects in its own tab uses
 * `connectInThisTab()`, and the ERP calls `resumeAfterRedirect()` once at start-up to finish such a connect on the
 * callback page. Every connect that settles is announced with a `ringcentral-oauth` event on `window`.
 */

/**
 * The user's connection, as `GET /api/ringcentral/status` reports it.
 * @typedef {{ status: "connected"; email: string }
 *   | { status: "not_connected" }
 *   | { status: "error"; error: string; email?: string }} RingCentralStatus
 */

/**
 * How a popup flow ended. `success`: the ERP's callback page posted `oauth-success` and Complete answered 200 (the
 * rows are written). `closed`: the user closed the popup before the flow ended. `timeout`: still open after the time
 * limit. In every case, reload the statuses. When the flow fails (the callback page shows `status=error`, Complete
 * refuses, the service cannot be reached...), `connect()` rejects with a `RingCentralOAuthError` instead.
 * @typedef {"success" | "closed" | "timeout"} ConnectOutcome
 */

/**
 * `unauthorized`: no session or the service refused the token (ask the user to sign in again).
 * `network`: the service could not be reached (offline, DNS, CORS refusal, timeout).
 * `unavailable`: the service answered with an error; the message is the service's own, fixed text.
 * `refused`: the flow ended on the ERP's callback page with `status=error` (the user denied access at RingCentral,
 * or the service's Callback refused); the message is that page's `message`, one of the service's fixed texts.
 * `popup_blocked`: the browser refused to open the popup.
 * `not_configured`: the ERP was built without `VITE_RINGCENTRAL_OAUTH_BASE_URL`.
 * @typedef {"unauthorized" | "network" | "unavailable" | "refused" | "popup_blocked" | "not_configured"} RingCentralOAuthErrorKind
 */

/**
 * The `outcome` of a `ringcentral-oauth` event: `"success"`, `"closed"` or `"timeout"` as `connect()` resolved, or
 * the `kind` of the error it (or `resumeAfterRedirect()`) rejected with.
 * @typedef {ConnectOutcome | RingCentralOAuthErrorKind} RingCentralOAuthOutcome
 */

/** Texts shown to the user. The service's own error texts (`{"error": "..."}`) are fixed and safe to show too. */
export const ringCentralOAuthMessages = /** @type {const} */ ({
  signInAgain: "Your session has expired. Please sign in again.",
  network: "Could not reach the RingCentral connection service. Check your internet connection and try again.",
  unexpected: "Something went wrong. Try again shortly.",
  popupBlocked: "The RingCentral sign-in window was blocked. Allow pop-ups for this site and try again.",
  notConfigured: "The RingCentral connection is not set up in this app. Please contact your administrator.",
  refused: "Connection failed",
  opening: "Opening RingCentral sign-in...",
});

export class RingCentralOAuthError extends Error {
  /**
   * @param {RingCentralOAuthErrorKind} kind
   * @param {string} message
   * @param {number} [httpStatus]
   */
  constructor(kind, message, httpStatus) {
    super(message);
    this.name = "RingCentralOAuthError";
    /** @readonly */
    this.kind = kind;
    /**
     * The HTTP status, when the service answered.
     * @readonly
     * @type {number | undefined}
     */
    this.httpStatus = httpStatus;
  }
}

/**
 * The part of `window` used here; pass the real `window`.
 * @typedef {Pick<Window,
 *   "location" | "history" | "sessionStorage" | "opener" | "fetch" | "open" | "addEventListener" | "removeEventListener"
 *   | "dispatchEvent" | "setInterval" | "clearInterval" | "setTimeout" | "clearTimeout"
 * >} BrowserWindow
 */

/**
 * @typedef {object} RingCentralOAuthOptions
 * @property {string | undefined} baseUrl The service's base URL, e.g. `https://<function-app>.azurewebsites.net` (from `VITE_RINGCENTRAL_OAUTH_BASE_URL`).
 * @property {() => Promise<string | null | undefined> | string | null | undefined} getAccessToken The signed-in user's Supabase access token, or null/undefined when there is no session.
 * @property {BrowserWindow} window
 * @property {number} [requestTimeoutMs] Longest wait for one API call, in ms (default 20 s).
 * @property {number} [popupTimeoutMs] Longest wait for the popup, in ms (default 5 min).
 * @property {number} [pollIntervalMs] How often the popup is looked at (closed? on the callback page with an
 *   error?), in ms (default 250 ms).
 * @property {string} [callbackPath] The path of the ERP's callback page, the service's `OAuth:AppRedirectUrl`
 *   (default `/integrations/callback`).
 */

/**
 * @typedef {object} RingCentralOAuthClient
 * @property {() => Promise<string>} getAuthUrl `POST /api/ringcentral/auth-url`: the RingCentral authorize URL for the signed-in user.
 * @property {() => Promise<RingCentralStatus>} getStatus `GET /api/ringcentral/status`.
 * @property {() => Promise<void>} disconnect `POST /api/ringcentral/disconnect`.
 * @property {(ticket: string) => Promise<{ status: "connected"; email: string }>} complete `POST /api/ringcentral/complete`
 *   with the Callback's ticket; resolves with the account label on 200.
 * @property {() => Promise<ConnectOutcome>} connect Opens the `oauth_ringcentral` popup at once (on `about:blank`:
 *   call it from the click handler, before any `await`), gets the authorize URL and sends the popup there; then waits
 *   for the ERP's callback page to post `oauth-success` (and finishes the flow with Complete), to show `status=error`
 *   (rejects as `refused` and closes the popup), for the popup to close, or for the time limit. A second call while
 *   a popup is open focuses that popup and waits for the same outcome.
 * @property {() => Promise<void>} connectInThisTab For pages that connect in their own tab: gets the authorize URL,
 *   remembers in `sessionStorage` that this tab started a connect, and navigates this tab there. The connect is
 *   finished by `resumeAfterRedirect()` when the tab comes back to the ERP's callback page.
 * @property {() => Promise<"success" | null>} resumeAfterRedirect Call once at app start, before the router renders.
 *   On the ERP's callback page with `#ticket=...` in a tab that started `connectInThisTab()` (and has no opener): removes
 *   the fragment from the address bar at once, posts the ticket to Complete and resolves `"success"` (or rejects as
 *   `connect()` would); on that page with `status=error` in such a tab, rejects as `refused`. Anywhere else resolves
 *   `null` and changes nothing.
 */

export const popupName = "oauth_ringcentral";
export const popupFeatures = "width=600,height=700";
export const successMessageType = "oauth-success";
/** The `CustomEvent` dispatched on `window` when a connect settles; `detail` is `{ outcome: RingCentralOAuthOutcome }`. */
export const outcomeEventName = "ringcentral-oauth";
/** The `sessionStorage` key that says this tab started `connectInThisTab()` (value: when, in ms since the epoch). */
export const sameTabMarkerKey = "ringcentral-oauth:same-tab-connect";

const apiPrefix = "/api/ringcentral/";
const ticketFragment = "#ticket=";
/** How long a same-tab marker stays good: longer than any sign-in at RingCentral, shorter than a working day. */
const sameTabMarkerLifetimeMs = 30 * 60_000;
/** The longest `message` taken from the callback page's URL (the service's fixed texts are far shorter). */
const refusalMessageMaxLength = 200;

/**
 * @param {RingCentralOAuthOptions} options
 * @returns {RingCentralOAuthClient}
 */
export function createRingCentralOAuth(options) {
  const win = options.window;
  const requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
  const popupTimeoutMs = options.popupTimeoutMs ?? 5 * 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const callbackPath = options.callbackPath ?? "/integrations/callback";
  /** @type {{ popup: Window; outcome: Promise<ConnectOutcome> } | null} */
  let pending = null;

  /** @returns {string} The service's base URL without trailing slashes; empty when the ERP was built without it. */
  function configuredBaseUrl() {
    return (options.baseUrl ?? "").trim().replace(/\/+$/, "");
  }

  /**
   * @param {"GET" | "POST"} method
   * @param {string} route
   * @param {unknown} [payload]
   * @returns {Promise<Record<string, unknown>>}
   */
  async function call(method, route, payload) {
    const baseUrl = configuredBaseUrl();
    if (!baseUrl) throw new RingCentralOAuthError("not_configured", ringCentralOAuthMessages.notConfigured);

    const token = await options.getAccessToken();
    if (!token) throw new RingCentralOAuthError("unauthorized", ringCentralOAuthMessages.signInAgain);

    const abort = new AbortController();
    const timer = win.setTimeout(() => abort.abort(), requestTimeoutMs);
    /** @type {Response} */
    let response;
    /** @type {unknown} */
    let body;
    try {
      response = await win.fetch(baseUrl + apiPrefix + route, {
        method,
        headers: payload === undefined
          ? { Authorization: `Bearer ${token}` }
          : { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: payload === undefined ? undefined : JSON.stringify(payload),
        cache: "no-store",
        credentials: "omit",
        signal: abort.signal,
      });
      body = await response.json().catch(() => null);
    } catch {
      // fetch rejects only when no answer could be read: offline, DNS, refused by CORS, or our timeout.
      throw new RingCentralOAuthError("network", ringCentralOAuthMessages.network);
    } finally {
      win.clearTimeout(timer);
    }

    if (response.status === 401) throw new RingCentralOAuthError("unauthorized", ringCentralOAuthMessages.signInAgain, 401);
    const json = body !== null && typeof body === "object" ? /** @type {Record<string, unknown>} */ (body) : null;
    if (!response.ok || json === null) {
      const text = typeof json?.error === "string" && json.error ? json.error : ringCentralOAuthMessages.unexpected;
      throw new RingCentralOAuthError("unavailable", text, response.status);
    }

    return json;
  }

  /** @returns {Promise<string>} */
  async function getAuthUrl() {
    const { authUrl } = await call("POST", "auth-url");
    if (typeof authUrl !== "string" || !/^https?:\/\//i.test(authUrl)) {
      throw new RingCentralOAuthError("unavailable", ringCentralOAuthMessages.unexpected);
    }

    return authUrl;
  }

  /** @returns {Promise<RingCentralStatus>} */
  async function getStatus() {
    const body = await call("GET", "status");
    const email = typeof body.email === "string" ? body.email : undefined;
    switch (body.status) {
      case "connected":
        return { status: "connected", email: email ?? "" };
      case "error":
        return { status: "error", error: typeof body.error === "string" ? body.error : ringCentralOAuthMessages.unexpected, email };
      case "not_connected":
        return { status: "not_connected" };
      default:
        throw new RingCentralOAuthError("unavailable", ringCentralOAuthMessages.unexpected);
    }
  }

  /**
   * @param {string} ticket
   * @returns {Promise<{ status: "connected"; email: string }>}
   */
  async function complete(ticket) {
    const body = await call("POST", "complete", { ticket });
    if (body.status !== "connected") throw new RingCentralOAuthError("unavailable", ringCentralOAuthMessages.unexpected);
    return { status: "connected", email: typeof body.email === "string" ? body.email : "" };
  }

  /**
   * The ticket in the popup's fragment, read while the popup shows our own callback page; null if there is none.
   * @param {Window} popup
   * @returns {string | null}
   */
  function ticketOf(popup) {
    try {
      const hash = popup.location.hash;
      return hash.startsWith(ticketFragment) && hash.length > ticketFragment.length ? decodeURIComponent(hash.slice(ticketFragment.length)) : null;
    } catch {
      return null; // not (or no longer) on our origin
    }
  }

  /** @returns {Promise<void>} */
  async function disconnect() {
    await call("POST", "disconnect");
  }

  /**
   * Tells the page how a connect ended (after Complete answered, for `"success"`).
   * @param {RingCentralOAuthOutcome} outcome
   */
  function announce(outcome) {
    win.dispatchEvent(new CustomEvent(outcomeEventName, { detail: { outcome } }));
  }

  /**
   * Announces the outcome of `work`, whether it resolves or rejects, and returns it unchanged.
   * @template {RingCentralOAuthOutcome} T
   * @param {Promise<T>} work
   * @returns {Promise<T>}
   */
  function announced(work) {
    return work.then(
      (outcome) => {
        announce(outcome);
        return outcome;
      },
      (error) => {
        announce(error instanceof RingCentralOAuthError ? error.kind : "unavailable");
        throw error;
      });
  }

  /**
   * The refusal the ERP's callback page shows in `location` (`?status=error&message=...`), or null when `location`
   * is not that page (or cannot be read: another origin).
   * @param {Location} location
   * @returns {RingCentralOAuthError | null}
   */
  function refusalAt(location) {
    try {
      if (location.origin !== win.location.origin || location.pathname !== callbackPath) return null;
      const query = new URLSearchParams(location.search);
      if (query.get("status") !== "error") return null;
      // Shown as text only; bounded, and without control characters, whatever the URL holds.
      const text = (query.get("message") ?? "").replace(/[\u0000-\u001f\u007f]+/g, " ").trim().slice(0, refusalMessageMaxLength);
      return new RingCentralOAuthError("refused", text || ringCentralOAuthMessages.refused);
    } catch {
      return null; // not (or no longer) on our origin
    }
  }

  /**
   * @param {Window} popup
   * @returns {Promise<ConnectOutcome>}
   */
  function waitForPopup(popup) {
    return new Promise((resolve, reject) => {
      /** @type {number | undefined} */
      let poll;
      /** @type {number | undefined} */
      let deadline;
      const stop = () => {
        win.removeEventListener("message", onMessage);
        win.clearInterval(poll);
        win.clearTimeout(deadline);
      };
      /** @param {ConnectOutcome} outcome */
      const finish = (outcome) => {
        stop();
        resolve(outcome);
      };
      // The ticket is read at once (the callback page closes itself 1.5 s later), then posted with a fresh token.
      /** @param {string | null} ticket */
      const completeWith = (ticket) => {
        stop();
        if (!ticket) {
          reject(new RingCentralOAuthError("unavailable", ringCentralOAuthMessages.unexpected));
          return;
        }
        complete(ticket).then(() => resolve("success"), reject);
      };
      // Only the ERP's own callback page, in this popup, may report success: the callback page posts with
      // targetOrigin "*", so the check is made here, on the receiving side.
      /** @param {MessageEvent} event */
      function onMessage(event) {
        if (event.origin !== win.location.origin || event.source !== popup) return;
        /** @type {unknown} */
        const data = event.data;
        if (data !== null && typeof data === "object" && /** @type {{ type?: unknown }} */ (data).type === successMessageType) completeWith(ticketOf(popup));
      }

      // The callback page posts nothing on an error: it is seen here, and the popup is closed before the user
      // has to, so the reason reaches the page at once.
      const look = () => {
        if (popup.closed) {
          finish("closed");
          return;
        }
        const refusal = refusalAt(popup.location);
        if (refusal) {
          stop();
          popup.close();
          reject(refusal);
        }
      };

      win.addEventListener("message", onMessage);
      poll = win.setInterval(look, pollIntervalMs);
      deadline = win.setTimeout(() => finish("timeout"), popupTimeoutMs);
    });
  }

  /**
   * Shows a line in the blank popup while the service answers (a cold start can take seconds).
   * @param {Window} popup
   */
  function showOpening(popup) {
    try {
      popup.document.title = ringCentralOAuthMessages.opening;
      if (popup.document.body) popup.document.body.textContent = ringCentralOAuthMessages.opening;
    } catch {
      // Not readable (another origin already): nothing to show.
    }
  }

  /**
   * Gets the authorize URL and sends `popup` there, then waits for the flow's end. Closes the popup when the service
   * cannot give a URL.
   * @param {Window} popup
   * @returns {Promise<ConnectOutcome>}
   */
  async function runPopup(popup) {
    /** @type {string} */
    let authUrl;
    try {
      authUrl = await getAuthUrl();
    } catch (error) {
      popup.close();
      throw error;
    }

    if (popup.closed) return "closed";
    popup.location.replace(authUrl);
    return waitForPopup(popup);
  }

  /** @returns {Promise<ConnectOutcome>} */
  function connect() {
    if (pending && !pending.popup.closed) {
      pending.popup.focus();
      return pending.outcome;
    }

    // A popup gets a copy of this tab's sessionStorage: a leftover same-tab marker must not go with it.
    forgetSameTabConnect();
    // Nothing to open when the ERP was built without the service's address.
    if (!configuredBaseUrl()) return announced(Promise.reject(new RingCentralOAuthError("not_configured", ringCentralOAuthMessages.notConfigured)));
    // Synchronously, inside the click: the browser allows a popup only shortly after the user's gesture.
    const popup = win.open("about:blank", popupName, popupFeatures);
    if (!popup) return announced(Promise.reject(new RingCentralOAuthError("popup_blocked", ringCentralOAuthMessages.popupBlocked)));
    showOpening(popup);
    const outcome = announced(runPopup(popup)).finally(() => {
      if (pending?.popup === popup) pending = null;
    });
    pending = { popup, outcome };
    return outcome;
  }

  function forgetSameTabConnect() {
    try {
      win.sessionStorage.removeItem(sameTabMarkerKey);
    } catch {
      // Storage disabled: there is no marker either.
    }
  }

  /** @returns {boolean} Whether this tab started `connectInThisTab()` recently; the marker is removed either way. */
  function takeSameTabMarker() {
    try {
      const startedAt = Number(win.sessionStorage.getItem(sameTabMarkerKey));
      win.sessionStorage.removeItem(sameTabMarkerKey);
      const age = Date.now() - startedAt;
      return startedAt > 0 && age >= 0 && age < sameTabMarkerLifetimeMs;
    } catch {
      return false;
    }
  }

  /** @returns {Promise<void>} */
  async function connectInThisTab() {
    /** @type {string} */
    let authUrl;
    try {
      authUrl = await getAuthUrl();
      win.sessionStorage.setItem(sameTabMarkerKey, String(Date.now()));
    } catch (error) {
      const failure = error instanceof RingCentralOAuthError ? error : new RingCentralOAuthError("unavailable", ringCentralOAuthMessages.unexpected);
      announce(failure.kind);
      throw failure;
    }

    win.location.assign(authUrl);
  }

  /** @returns {Promise<"success" | null>} */
  function resumeAfterRedirect() {
    // A popup (it has an opener) is finished by its opener, even though it holds a copy of the opener's storage.
    if (win.opener) return Promise.resolve(null);
    const location = win.location;
    if (location.pathname !== callbackPath) return Promise.resolve(null);
    const refusal = refusalAt(location);
    const hash = location.hash;
    const ticket = hash.startsWith(ticketFragment) && hash.length > ticketFragment.length ? hash.slice(ticketFragment.length) : null;
    if (!refusal && !ticket) return Promise.resolve(null);
    // Only the tab that started the connect finishes it: another user's link opened here connects nobody.
    if (!takeSameTabMarker()) return Promise.resolve(null);
    if (refusal) return announced(/** @type {Promise<"success">} */ (Promise.reject(refusal)));

    // At once, before anything else can read or share the address: the ticket leaves the address bar and history.
    win.history.replaceState(win.history.state, "", location.pathname + location.search);
    return announced(completeSameTab(/** @type {string} */ (ticket)));
  }

  /**
   * @param {string} ticket The fragment's ticket, still percent-encoded.
   * @returns {Promise<"success">}
   */
  async function completeSameTab(ticket) {
    /** @type {string} */
    let decoded;
    try {
      decoded = decodeURIComponent(ticket);
    } catch {
      throw new RingCentralOAuthError("unavailable", ringCentralOAuthMessages.unexpected);
    }
    await complete(decoded);
    return "success";
  }

  return { getAuthUrl, getStatus, complete, disconnect, connect, connectInThisTab, resumeAfterRedirect };
}
