// @ts-check
/**
 * The ERP's client for the RingCentral OAuth service (GetAuthUrl, Complete, Status, Disconnect and the popup flow).
 *
 * Copy this file unchanged into the ERP (e.g. `src/lib/ringcentralOAuth.js`); `docs/frontend.md` shows the few
 * lines of `src/hooks/useIntegrations.ts` that use it. It is plain JavaScript that browsers run as it is, with its
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
 */

/**
 * The user's connection, as `GET /api/ringcentral/status` reports it.
 * @typedef {{ status: "connected"; email: string }
 *   | { status: "not_connected" }
 *   | { status: "error"; error: string; email?: string }} RingCentralStatus
 */

/**
 * How a popup flow ended. `success`: the ERP's callback page posted `oauth-success` and Complete answered 200 (the
 * rows are written). `closed`: the popup was closed without it (cancelled, or an error the popup showed). `timeout`:
 * still open after the time limit. In every case, reload the statuses. When Complete refuses or fails, `connect()`
 * rejects with a `RingCentralOAuthError` carrying the service's fixed text instead.
 * @typedef {"success" | "closed" | "timeout"} ConnectOutcome
 */

/**
 * `unauthorized`: no session or the service refused the token (ask the user to sign in again).
 * `network`: the service could not be reached (offline, DNS, CORS refusal, timeout).
 * `unavailable`: the service answered with an error; the message is the service's own, fixed text.
 * `popup_blocked`: the browser refused to open the popup.
 * `not_configured`: the ERP was built without `VITE_RINGCENTRAL_OAUTH_BASE_URL`.
 * @typedef {"unauthorized" | "network" | "unavailable" | "popup_blocked" | "not_configured"} RingCentralOAuthErrorKind
 */

/** Texts shown to the user. The service's own error texts (`{"error": "..."}`) are fixed and safe to show too. */
export const ringCentralOAuthMessages = /** @type {const} */ ({
  signInAgain: "Your session has expired. Please sign in again.",
  network: "Could not reach the RingCentral connection service. Check your internet connection and try again.",
  unexpected: "Something went wrong. Try again shortly.",
  popupBlocked: "The RingCentral sign-in window was blocked. Allow pop-ups for this site and try again.",
  notConfigured: "The RingCentral connection is not set up in this app. Please contact your administrator.",
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
 *   "location" | "fetch" | "open" | "addEventListener" | "removeEventListener" | "setInterval" | "clearInterval" | "setTimeout" | "clearTimeout"
 * >} BrowserWindow
 */

/**
 * @typedef {object} RingCentralOAuthOptions
 * @property {string | undefined} baseUrl The service's base URL, e.g. `https://<function-app>.azurewebsites.net` (from `VITE_RINGCENTRAL_OAUTH_BASE_URL`).
 * @property {() => Promise<string | null | undefined> | string | null | undefined} getAccessToken The signed-in user's Supabase access token, or null/undefined when there is no session.
 * @property {BrowserWindow} window
 * @property {number} [requestTimeoutMs] Longest wait for one API call, in ms (default 20 s).
 * @property {number} [popupTimeoutMs] Longest wait for the popup, in ms (default 5 min).
 * @property {number} [pollIntervalMs] How often `popup.closed` is checked, in ms (default 1 s).
 */

/**
 * @typedef {object} RingCentralOAuthClient
 * @property {() => Promise<string>} getAuthUrl `POST /api/ringcentral/auth-url`: the RingCentral authorize URL for the signed-in user.
 * @property {() => Promise<RingCentralStatus>} getStatus `GET /api/ringcentral/status`.
 * @property {() => Promise<void>} disconnect `POST /api/ringcentral/disconnect`.
 * @property {(ticket: string) => Promise<{ status: "connected"; email: string }>} complete `POST /api/ringcentral/complete`
 *   with the Callback's ticket; resolves with the account label on 200.
 * @property {() => Promise<ConnectOutcome>} connect Gets the authorize URL, opens it in the `oauth_ringcentral` popup
 *   and waits for the ERP's callback page to post `oauth-success` (then finishes the flow with Complete), for the
 *   popup to close, or for the time limit. Call it from a click handler (popup blockers). A second call while a popup
 *   is open focuses that popup and waits for the same outcome.
 */

export const popupName = "oauth_ringcentral";
export const popupFeatures = "width=600,height=700";
export const successMessageType = "oauth-success";

const apiPrefix = "/api/ringcentral/";
const ticketFragment = "#ticket=";

/**
 * @param {RingCentralOAuthOptions} options
 * @returns {RingCentralOAuthClient}
 */
export function createRingCentralOAuth(options) {
  const win = options.window;
  const requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
  const popupTimeoutMs = options.popupTimeoutMs ?? 5 * 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  /** @type {{ popup: Window; outcome: Promise<ConnectOutcome> } | null} */
  let pending = null;

  /**
   * @param {"GET" | "POST"} method
   * @param {string} route
   * @param {unknown} [payload]
   * @returns {Promise<Record<string, unknown>>}
   */
  async function call(method, route, payload) {
    const baseUrl = (options.baseUrl ?? "").trim().replace(/\/+$/, "");
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
        if (pending?.popup === popup) pending = null;
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

      win.addEventListener("message", onMessage);
      poll = win.setInterval(() => {
        if (popup.closed) finish("closed");
      }, pollIntervalMs);
      deadline = win.setTimeout(() => finish("timeout"), popupTimeoutMs);
    });
  }

  /** @returns {Promise<ConnectOutcome>} */
  async function connect() {
    if (pending && !pending.popup.closed) {
      pending.popup.focus();
      return pending.outcome;
    }

    const authUrl = await getAuthUrl();
    const popup = win.open(authUrl, popupName, popupFeatures);
    if (!popup) throw new RingCentralOAuthError("popup_blocked", ringCentralOAuthMessages.popupBlocked);
    const outcome = waitForPopup(popup);
    pending = { popup, outcome };
    return outcome;
  }

  return { getAuthUrl, getStatus, complete, disconnect, connect };
}
