// Questions revealed under an option (GOV.UK conditional reveal). GOV.UK Frontend's radios and
// checkboxes show and hide them; this hides the "Only if the answer to…" note, which is only
// needed when the question is always shown (without JavaScript).
for (const note of document.querySelectorAll("[data-forms-only-if]")) {
  note.hidden = true;
  const hint = note.parentElement;
  const rest = hint.textContent.replace(note.textContent, "").trim();
  if (rest) {
    continue;
  }
  // Nothing else in the hint: hide it and stop the inputs pointing at it.
  hint.hidden = true;
  for (const input of document.querySelectorAll(`[aria-describedby~="${hint.id}"]`)) {
    const ids = input.getAttribute("aria-describedby").split(/\s+/).filter((id) => id && id !== hint.id);
    if (ids.length) {
      input.setAttribute("aria-describedby", ids.join(" "));
    } else {
      input.removeAttribute("aria-describedby");
    }
  }
}
