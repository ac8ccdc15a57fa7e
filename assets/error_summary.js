// RGAA 11.10: after a failed submit, the focus moves to the form's error summary
// (components/forms.py, class "error-summary", tabindex -1), so that a screen reader reads the
// list of errors and a keyboard user goes on from there. Only as the answer to the user's own
// submit or button press (never while typing, never on a page load): the summary appearing, or its
// list changing, within 10 s of that action.
(() => {
  let lastAction = 0;
  const mark = () => { lastAction = Date.now(); };
  document.addEventListener("submit", mark, true);
  document.addEventListener("click", (event) => {
    if (!(event.target instanceof Element)) return;
    // A link of the summary focuses its field (the router would only change the address).
    const link = event.target.closest(".error-summary a[href*='#']");
    if (link) {
      const field = document.getElementById(decodeURIComponent(link.getAttribute("href").split("#")[1]));
      if (field) {
        event.preventDefault();
        event.stopPropagation();
        field.scrollIntoView({ block: "center" });
        field.focus();
      }
      return;
    }
    if (event.target.closest("button:not([role=tab]):not([aria-expanded]), input[type=submit]")) mark();
  }, true);
  const elementOf = (node) => (node.nodeType === 1 ? node : node.parentElement);
  // A change inside a summary, or a summary among the nodes just added (never an older summary
  // that merely sits in a container where something else changed).
  const changedSummary = (record) => {
    // An error fixed while typing only removes a line: that never moves the focus.
    if (record.type === "childList" && record.addedNodes.length === 0) return null;
    const inside = elementOf(record.target)?.closest(".error-summary");
    if (inside) return inside;
    for (const node of record.addedNodes) {
      const element = elementOf(node);
      const found = element?.closest(".error-summary") || element?.querySelector(".error-summary");
      if (found) return found;
    }
    return null;
  };
  new MutationObserver((records) => {
    if (Date.now() - lastAction > 10000) return;
    for (const record of records) {
      const summary = changedSummary(record);
      if (summary) {
        lastAction = 0;
        summary.focus();
        return;
      }
    }
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
})();
