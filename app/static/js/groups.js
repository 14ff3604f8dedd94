/* Journal clubs on the article page: offer the reader's groups as audiences of the selection form,
   and keep the group's layer when annotating from it. The form's template is shared by every reader
   (it is cached with the page), so the reader's own groups come from a per-reader <template>. */
(function () {
  "use strict";

  function addAudiences() {
    var audiences = document.getElementById("group-audiences");
    var form = document.getElementById("annotate-form-template");
    if (!audiences || !form) { return; }
    var slot = form.content.querySelector("[data-group-audiences]");
    if (!slot) { return; }
    slot.replaceWith(audiences.content.cloneNode(true));
    var current = audiences.dataset.current;
    if (current) {
      form.content.querySelectorAll("input[name=visibility]").forEach(function (input) {
        input.checked = input.value === current;
        if (input.checked) { input.setAttribute("checked", ""); } else { input.removeAttribute("checked"); }
      });
    }
  }

  function keepLayerOnAnnotateLinks() {
    var audiences = document.getElementById("group-audiences");
    var current = audiences && audiences.dataset.current;
    if (!current) { return; }
    document.querySelectorAll("#article-body a[href*='/annotate?']").forEach(function (link) {
      var url = new URL(link.getAttribute("href"), window.location.href);
      url.searchParams.set("layer", current);
      link.setAttribute("href", url.pathname + url.search);
    });
  }

  function start() {
    addAudiences();
    keepLayerOnAnnotateLinks();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
