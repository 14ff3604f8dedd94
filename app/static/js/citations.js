/* Postil article page: a citation marker shows its reference inline.
 *
 * Clicking (or pressing Enter on) a numbered citation marker opens a small non-modal dialog next to
 * it with the full reference, its design and evidence badges and a link to the study page. Escape,
 * the Close button or a click elsewhere closes it and focus returns to the marker. The dialog lives
 * outside the article body, so the article's canonical text (which annotations count offsets in) is
 * untouched. Without this script the marker is an ordinary link to the reference list.
 */
(function () {
  "use strict";

  var body = document.getElementById("article-body") || document.querySelector(".article-body");
  if (!body) { return; }

  var popover = null;
  var opener = null;
  var counter = 0;

  function referenceFor(link) {
    var href = link.getAttribute("href") || "";
    return href.indexOf("#ref-") === 0 ? document.getElementById(href.slice(1)) : null;
  }

  function close(returnFocus) {
    if (!popover) { return; }
    popover.remove();
    popover = null;
    if (opener) {
      opener.setAttribute("aria-expanded", "false");
      opener.removeAttribute("aria-controls");
      if (returnFocus) { opener.focus(); }
    }
    opener = null;
  }

  function place(box, link) {
    var rect = link.getBoundingClientRect();
    var width = Math.min(28 * 16, document.documentElement.clientWidth - 16);
    var left = Math.max(8, Math.min(rect.left + window.scrollX - width / 2,
                                    window.scrollX + document.documentElement.clientWidth - width - 8));
    box.style.width = width + "px";
    box.style.left = left + "px";
    box.style.top = (rect.bottom + window.scrollY + 6) + "px";
  }

  function open(link) {
    var reference = referenceFor(link);
    if (!reference) { return false; }
    close(false);
    counter += 1;
    var number = reference.getAttribute("value") || reference.id.replace("ref-", "");
    var box = document.createElement("div");
    box.className = "cite-popover";
    box.id = "cite-popover-" + counter;
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "false");
    box.setAttribute("aria-labelledby", box.id + "-title");
    box.setAttribute("data-nc", "");
    box.tabIndex = -1;

    var title = document.createElement("p");
    title.className = "cite-popover-title";
    title.id = box.id + "-title";
    title.textContent = "Reference " + number;
    box.appendChild(title);

    var content = reference.cloneNode(true);
    content.removeAttribute("id");
    content.removeAttribute("value");
    content.querySelectorAll("[id]").forEach(function (el) { el.removeAttribute("id"); });
    var holder = document.createElement("div");
    holder.className = "cite-popover-body";
    while (content.firstChild) { holder.appendChild(content.firstChild); }
    box.appendChild(holder);

    var actions = document.createElement("p");
    actions.className = "cite-popover-actions";
    var toList = document.createElement("a");
    toList.href = "#" + reference.id;
    toList.textContent = "Go to the reference list";
    toList.addEventListener("click", function () { close(false); });
    actions.appendChild(toList);
    var closeButton = document.createElement("button");
    closeButton.type = "button";
    closeButton.className = "link-button cite-popover-close";
    closeButton.textContent = "Close";
    closeButton.addEventListener("click", function () { close(true); });
    actions.appendChild(closeButton);
    box.appendChild(actions);

    document.body.appendChild(box);
    place(box, link);
    popover = box;
    opener = link;
    link.setAttribute("aria-expanded", "true");
    link.setAttribute("aria-controls", box.id);
    box.focus({ preventScroll: true });
    return true;
  }

  body.querySelectorAll("sup.cite a[data-cite]").forEach(function (link) {
    link.setAttribute("aria-expanded", "false");
    link.addEventListener("click", function (event) {
      if (event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      if (popover && opener === link) {
        event.preventDefault();
        event.stopPropagation();
        close(true);
        return;
      }
      if (open(link)) {
        event.preventDefault();
        // A marker inside a highlighted passage must not also open that passage's thread.
        event.stopPropagation();
      }
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && popover) {
      event.preventDefault();
      close(true);
    }
  });

  document.addEventListener("click", function (event) {
    if (popover && !popover.contains(event.target) && !(opener && opener.contains(event.target))) {
      close(false);
    }
  });

  window.addEventListener("resize", function () {
    if (popover && opener) { place(popover, opener); }
  });
})();
