/* Moderation panel: "select all" for bulk actions and a confirmation before a removal (removal is final).
   Everything works without this script; it only saves clicks and prevents a slip. */
(function () {
  "use strict";

  function addSelectAll(bulkForm) {
    var boxes = document.querySelectorAll('input[type="checkbox"][form="bulk-form"][name="ids"]');
    if (!boxes.length) { return; }
    var wrapper = document.createElement("div");
    wrapper.className = "select-all";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.id = "select-all";
    var label = document.createElement("label");
    label.htmlFor = "select-all";
    label.textContent = "Select all " + boxes.length + " on this page";
    wrapper.appendChild(box);
    wrapper.appendChild(label);
    bulkForm.insertBefore(wrapper, bulkForm.firstChild);
    box.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = box.checked; });
    });
  }

  function confirmRemoval(event) {
    var submitter = event.submitter;
    var form = event.target;
    var removing = (submitter && submitter.value === "remove") ||
      (form.id === "bulk-form" && form.elements.action && form.elements.action.value === "remove");
    if (removing && !window.confirm("Remove for good? The text is redacted for everyone; removal cannot be undone.")) {
      event.preventDefault();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var bulkForm = document.getElementById("bulk-form");
    if (bulkForm) { addSelectAll(bulkForm); }
    document.querySelectorAll("form.mod-actions, #bulk-form").forEach(function (form) {
      form.addEventListener("submit", confirmRemoval);
    });
  });
})();
