/* Postil: citation tooltips on the article page, and the structured-appraisal fields of annotation forms.
 *
 * Tooltips: each citation marker is described (aria-describedby, set on the server) by a hidden
 * element of the evidence map giving the study's design, CEBM level and notices. Hovering the marker
 * or focusing it with the keyboard shows that element next to it; it stays while the pointer is over
 * it, and Escape, moving away or leaving the marker hides it (WCAG 1.4.13). Screen readers get the
 * same words as the marker's description, with or without this script.
 *
 * Appraisal fields: the domain list shows the chosen tool's domains only, the "in your words" field
 * only for the tool "Other", and choosing a linked study suggests the tool that fits its design.
 * Without this script every domain is listed under its tool and the server checks the pair.
 */
(function () {
  "use strict";

  /* ---- tooltips ---- */
  var shown = null;
  var owner = null;
  var hideTimer = null;

  function place(tip, marker) {
    var rect = marker.getBoundingClientRect();
    var width = Math.min(22 * 16, document.documentElement.clientWidth - 16);
    var left = Math.max(8, Math.min(rect.left + window.scrollX - 16,
                                    window.scrollX + document.documentElement.clientWidth - width - 8));
    tip.style.maxWidth = width + "px";
    tip.style.left = left + "px";
    tip.style.top = (rect.bottom + window.scrollY + 6) + "px";
  }

  function hide() {
    if (hideTimer) { clearTimeout(hideTimer); hideTimer = null; }
    if (shown) { shown.hidden = true; shown.classList.remove("is-shown"); }
    shown = null;
    owner = null;
  }

  function show(marker) {
    var tip = document.getElementById(marker.getAttribute("aria-describedby") || "");
    if (!tip) { return; }
    if (hideTimer) { clearTimeout(hideTimer); hideTimer = null; }
    if (shown && shown !== tip) { hide(); }
    if (tip.parentNode !== document.body) { document.body.appendChild(tip); }
    tip.hidden = false;
    tip.classList.add("is-shown");
    place(tip, marker);
    shown = tip;
    owner = marker;
  }

  function hideSoon() {
    if (hideTimer) { clearTimeout(hideTimer); }
    hideTimer = setTimeout(hide, 250);
  }

  function markerOf(target) {
    return target && target.closest ? target.closest("sup.cite a[aria-describedby]") : null;
  }

  document.addEventListener("mouseover", function (event) {
    var marker = markerOf(event.target);
    if (marker) { show(marker); return; }
    if (shown && shown.contains(event.target)) {
      if (hideTimer) { clearTimeout(hideTimer); hideTimer = null; }
    }
  });
  document.addEventListener("mouseout", function (event) {
    var marker = markerOf(event.target);
    var leavingTip = shown && shown.contains(event.target) && !(event.relatedTarget && shown.contains(event.relatedTarget));
    if ((marker && marker === owner) || leavingTip) { hideSoon(); }
  });
  document.addEventListener("focusin", function (event) {
    var marker = markerOf(event.target);
    if (marker) { show(marker); } else if (shown) { hide(); }
  });
  document.addEventListener("focusout", function (event) {
    if (markerOf(event.target) === owner) { hide(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && shown) { hide(); }
  });
  document.addEventListener("click", function (event) {
    // Opening the full reference (citations.js) replaces the tooltip.
    if (shown && markerOf(event.target)) { hide(); }
  });
  window.addEventListener("resize", function () { if (shown && owner) { place(shown, owner); } });

  /* ---- appraisal fields ---- */
  function syncAppraisal(fieldset) {
    var tool = fieldset.querySelector('[name="appraisal_tool"]');
    var domain = fieldset.querySelector('[name="appraisal_domain"]');
    var other = fieldset.querySelector("[data-other-domain]");
    if (!tool || !domain) { return; }
    var chosen = tool.value;
    Array.prototype.forEach.call(domain.querySelectorAll("optgroup"), function (group) {
      var match = group.getAttribute("data-tool") === chosen;
      group.hidden = !match;
      group.disabled = !match;
    });
    var selected = domain.options[domain.selectedIndex];
    if (selected && selected.value && selected.getAttribute("data-tool") !== chosen) { domain.value = ""; }
    domain.closest(".field").hidden = !chosen || chosen === "other";
    if (other) { other.hidden = chosen !== "other"; }
  }

  function enhance(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-appraisal]"), syncAppraisal);
  }

  document.addEventListener("change", function (event) {
    var fieldset = event.target.closest ? event.target.closest("form") : null;
    if (!fieldset) { return; }
    var appraisal = fieldset.querySelector("[data-appraisal]");
    if (!appraisal) { return; }
    if (event.target.name === "study_id") {
      var option = event.target.options[event.target.selectedIndex];
      var tool = appraisal.querySelector('[name="appraisal_tool"]');
      if (tool && option && option.getAttribute("data-tool") && !tool.value) {
        // Only a suggestion: the reader's own choice of tool is never overwritten.
        tool.dataset.suggested = option.getAttribute("data-tool");
      }
    }
    if (event.target.name === "appraisal_tool" || event.target.name === "study_id") { syncAppraisal(appraisal); }
    if (event.target.name === "kind" || event.target.name === "study_id") {
      var tool2 = appraisal.querySelector('[name="appraisal_tool"]');
      var kind = fieldset.querySelector('[name="kind"]:checked');
      if (tool2 && !tool2.value && tool2.dataset.suggested && kind && kind.value === "critique") {
        tool2.value = tool2.dataset.suggested;
        syncAppraisal(appraisal);
      }
    }
  });

  enhance(document);
  // Forms cloned later (the selection form) are enhanced when they appear.
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      Array.prototype.forEach.call(record.addedNodes, function (node) {
        if (node.nodeType === 1) { enhance(node); }
      });
    });
  }).observe(document.body, { childList: true, subtree: true });
})();
