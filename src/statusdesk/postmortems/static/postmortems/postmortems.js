// The postmortem editor's taxonomy picker (R19): a term button adds the term to the taxonomy
// field, as the next part of the tree (`PRINCIPAL < PRIMARY < …`). No inline script (CSP).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-term]");
  if (!button) return;
  const input = document.querySelector("#pm_taxonomy");
  if (!input) return;
  const parts = input.value.split("<").map((part) => part.trim()).filter(Boolean);
  if (!parts.includes(button.dataset.term)) parts.push(button.dataset.term);
  input.value = parts.join(" < ");
  input.focus();
});
