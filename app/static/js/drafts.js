/* Forms on every page: the first field in error takes the focus; and drafts of the pages' own forms (reply, edit, annotate without the article's script): what is typed in a
 * form marked data-draft="KEY" is kept in this browser until the form is saved or the draft is discarded.
 *
 * Sending the form notes the key; the page that follows a successful save carries a success message,
 * and only then is the draft forgotten. A refusal (a field error, an ended session, no connection)
 * keeps it, so the text comes back when the form is opened again. The article page's script keeps its
 * drafts under the same keys (reading.js).
 */
(function () {
  "use strict";

  var SAVING = "postil-saving";

  function get(key) { try { return window.localStorage.getItem(key) || ""; } catch (e) { return ""; } }
  function set(key, value) {
    try {
      if (value.trim()) { window.localStorage.setItem(key, value); } else { window.localStorage.removeItem(key); }
    } catch (e) { /* storage refused: the text stays in the form */ }
  }
  function remove(key) { try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ } }

  // A form sent back with errors: the first field in error takes the focus (its message is next to it).
  var invalid = document.querySelector("main [aria-invalid='true']");
  if (invalid) { invalid.focus(); }

  var saving = get(SAVING);
  if (saving) {
    remove(SAVING);
    if (document.querySelector(".flash-success")) { remove(saving); }
  }

  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = form.dataset.draft;
    var textarea = form.elements.body;
    if (!textarea) { return; }
    var original = textarea.value;
    var draft = get(key);
    var status = document.createElement("p");
    status.className = "draft-status";
    status.setAttribute("role", "status");
    textarea.parentNode.appendChild(status);
    if (draft && draft !== original && !form.querySelector(".field-error")) {
      textarea.value = draft;
      status.textContent = "Draft restored: the text you had not saved is back. ";
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button button-small button-danger";
      discard.textContent = "Discard draft";
      discard.addEventListener("click", function () {
        if (!window.confirm("Discard this draft? The text you wrote here will be deleted.")) { return; }
        remove(key);
        textarea.value = original;
        status.textContent = "Draft discarded.";
        textarea.focus();
      });
      status.appendChild(discard);
    }
    textarea.addEventListener("input", function () {
      if (textarea.value === original) { remove(key); } else { set(key, textarea.value); }
    });
    form.addEventListener("submit", function () { set(SAVING, key); });
  });
})();
