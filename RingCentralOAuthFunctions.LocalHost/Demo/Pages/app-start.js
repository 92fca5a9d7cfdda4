// The demo ERP's app start on its callback page, as the first lines of the ERP's main.tsx: resumeAfterRedirect()
// finishes a connect this tab started with connectInThisTab() (and does nothing in a popup, or for a link this tab did
// not start). Then callback.js behaves as the ERP's callback page. The ERP is one document whose router renders
// /integrations in place; this page is its own document, so its "router" keeps it until the resume has settled (as
// the ERP's document stays) and then loads /integrations, telling that page how the connect ended.
import { createRingCentralOAuth } from "/demo/ringcentralOAuth.js";

const session = JSON.parse(sessionStorage.getItem("demo-erp-session") ?? "null");
const ringCentral = createRingCentralOAuth({ baseUrl: window.location.origin, getAccessToken: async () => session?.accessToken, window });

const resumed = ringCentral.resumeAfterRedirect();
resumed.then(
  (outcome) => {
    if (outcome !== null) sessionStorage.setItem("demo-last-outcome", JSON.stringify({ outcome, text: "RingCentral connected in this tab." }));
  },
  (error) => sessionStorage.setItem("demo-last-outcome", JSON.stringify({ kind: error.kind, text: error.message })));

window.addEventListener("popstate", async () => {
  if (window.location.pathname === "/integrations/callback") return;
  await resumed.catch(() => {});
  window.location.reload();
});
