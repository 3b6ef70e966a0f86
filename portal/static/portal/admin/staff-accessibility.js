// Accessibility fixes for markup the Wagtail admin renders itself, which the project cannot
// change in its templates. Each is listed, with why, in tests/e2e/axe_staff_exceptions.py
// (WORKAROUNDS); the browser tests run axe-core on the admin pages with these in place.
(() => {
  "use strict";

  // Rich text (Draftail): the editable area is a role="textbox" with no accessible name; the
  // field's <label> points at Wagtail's hidden input instead. Name the textbox by that label.
  function nameRichTextEditors(root) {
    root
      .querySelectorAll('.Draftail-Editor [contenteditable="true"][role="textbox"]')
      .forEach((box) => {
        if (box.hasAttribute("aria-label") || box.hasAttribute("aria-labelledby")) return;
        const field = box.closest(".w-field, [data-field], [data-contentpath]");
        const input = field && field.querySelector("input[data-draftail-input], input[type=hidden]");
        let label = input && input.id ? document.querySelector(`label[for="${CSS.escape(input.id)}"]`) : null;
        if (!label && field) label = field.querySelector("label, .w-field__label");
        if (label) {
          if (!label.id) label.id = `${(input && input.id) || "rich-text"}-label`;
          box.setAttribute("aria-labelledby", label.id);
        } else {
          box.setAttribute("aria-label", "Rich text");
        }
      });
  }

  // The editor's minimap is a scrollable list whose links are taken out of the tab order while
  // it is collapsed, so keyboard users could not scroll it: make the list itself focusable.
  function focusableMinimap(root) {
    root.querySelectorAll(".w-minimap__list").forEach((list) => {
      if (!list.hasAttribute("tabindex")) list.tabIndex = 0;
      if (!list.hasAttribute("aria-label")) list.setAttribute("aria-label", "Minimap: this page's sections");
    });
  }

  function fix() {
    nameRichTextEditors(document);
    focusableMinimap(document);
  }

  let queued = false;
  function queue() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fix();
    });
  }

  function start() {
    fix();
    // Blocks added to a StreamField, choosers and the minimap are rendered after load.
    new MutationObserver(queue).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
