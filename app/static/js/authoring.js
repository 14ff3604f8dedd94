/* Postil article editor: a live preview rendered by the server, and a guard against losing text.
 *
 * The preview is fetched from the form's data-preview-url with the page's CSRF token in an
 * X-CSRFToken header, a moment after typing stops; the server renders it exactly as a save would
 * (unknown citation keys are listed). Leaving the page with unsaved changes asks first.
 * Without this script the form still saves, and the server reports any problem.
 */
(function () {
  "use strict";

  var form = document.getElementById("editor-form");
  var preview = document.getElementById("preview");
  var status = document.getElementById("preview-status");
  if (!form || !preview) { return; }
  var source = form.elements.source;
  var url = form.dataset.previewUrl;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.content : "";
  var DELAY_MS = 400;
  var timer = null;
  var sequence = 0;
  var dirty = false;

  function say(text) { if (status) { status.textContent = text; } }

  function refresh() {
    sequence += 1;
    var mine = sequence;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify({ source: source.value })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    }).then(function (result) {
      if (mine !== sequence) { return; }  // a newer preview is on its way
      if (!result.ok) {
        var message = result.data && result.data.error ? result.data.error.message : "error " + result.status;
        say("The preview could not be updated (" + message + "). Your text is safe in the editor.");
        return;
      }
      preview.innerHTML = result.data.html;
      var problems = (result.data.problems || []).length + (result.data.unknown_keys || []).length;
      say(problems ? "Preview updated: there is something to fix before saving (see above the preview)."
                   : "Preview updated.");
    }).catch(function () {
      if (mine === sequence) { say("The preview could not be updated (no connection). Your text is safe in the editor."); }
    });
  }

  source.addEventListener("input", function () {
    dirty = true;
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DELAY_MS);
  });

  form.addEventListener("submit", function () { dirty = false; });

  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  refresh();
})();
