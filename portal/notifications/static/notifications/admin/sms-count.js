// The text message's length under its field as an editor types, filled with the example
// details as the Preview fills them (portal/notifications/messages.py: render, sms_fragments).
// Without JavaScript the Preview shows the same count.
(() => {
  const start = () => {
    const data = document.getElementById("sms-count-data");
    const field = document.querySelector('textarea[name="sms_body"]');
    if (!data || !field) return;
    const { examples, gsm, extended, max } = JSON.parse(data.textContent);
    const basic = new Set(gsm);
    const ext = new Set(extended);
    const output = document.createElement("p");
    output.id = "sms-body-count";
    output.className = "w-field__help help";
    output.setAttribute("aria-live", "polite");
    (field.closest(".w-field__input") || field).insertAdjacentElement("afterend", output);
    field.setAttribute("aria-describedby", `${field.getAttribute("aria-describedby") || ""} sms-body-count`.trim());

    const render = (wording) =>
      wording
        .replace(/\r\n/g, "\n")
        .replace(/\(\(\s*([a-z0-9_]+)\s*\)\)/g, (_, name) => examples[name] ?? "")
        .replace(/\n{3,}/g, "\n\n")
        .trim();
    const count = (text) => {
      const chars = Array.from(text);
      const unicode = chars.some((c) => !basic.has(c) && !ext.has(c));
      const length = unicode ? chars.length : chars.reduce((n, c) => n + (ext.has(c) ? 2 : 1), 0);
      const [single, part] = unicode ? [70, 67] : [160, 153];
      const fragments = length === 0 ? 0 : length <= single ? 1 : Math.ceil(length / part);
      return { length, fragments, unicode };
    };
    const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
    const update = () => {
      const text = render(field.value);
      if (!text) {
        output.textContent = "Not sent by text: people who prefer texts get this by email or post.";
        return;
      }
      const { length, fragments, unicode } = count(text);
      let said = `With the example details: ${plural(length, "character")}, ${plural(fragments, "text message fragment")}`;
      if (unicode) said += " (it has a character outside the standard text alphabet, so each fragment holds fewer characters)";
      if (length > max) said += `. Too long: a text message can be at most ${max} characters`;
      output.textContent = `${said}.`;
    };
    let timer;
    field.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(update, 300);
    });
    update();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
