/* Postil article page: select a passage to annotate it, follow highlights to their threads, reply in place.
 *
 * The canonical text of the article is the concatenation of the text nodes inside the article body,
 * skipping anything inside an element with the data-nc attribute (see app/text/markdown.py). Offsets
 * sent to the server are Unicode code points; the DOM counts UTF-16 code units, so they are converted.
 * Without this script everything still works through ordinary links and forms.
 */
(function () {
  "use strict";

  var layout = document.getElementById("article-layout");
  if (!layout) { return; }
  document.documentElement.classList.add("js");

  var body = document.getElementById("article-body");
  var discussion = document.getElementById("discussion");
  var signedIn = layout.dataset.signedIn === "true";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.content : "";
  var CONTEXT = 32;
  var segments = [];
  var canonical = [];   // the canonical text as an array of code points
  var button = null;
  var popover = null;
  var pending = null;   // {start, end} of the selection being annotated
  var live = document.createElement("p");
  live.className = "visually-hidden";
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  document.body.appendChild(live);

  function announce(message) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = message; }, 50);
  }

  /* ---- drafts: kept in this browser until saved or explicitly discarded ---- */

  // localStorage outlives the tab (a closed tab or a crash keeps the text); a browser that refuses
  // storage (private mode, full quota) still works, it only cannot keep drafts.
  var drafts = {
    get: function (key) { try { return window.localStorage.getItem(key) || ""; } catch (e) { return ""; } },
    set: function (key, value) {
      try {
        if (value.trim()) { window.localStorage.setItem(key, value); } else { window.localStorage.removeItem(key); }
      } catch (e) { /* storage refused: the text stays in the form */ }
    },
    remove: function (key) { try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ } }
  };
  var SESSION_ENDED = "Your session has ended, so nothing was saved. Your text is kept in this browser: " +
    "sign in again and it comes back here as a draft.";

  function signInAgainUrl() {
    return layout.dataset.signInUrl.split("?")[0] + "?next=" +
      encodeURIComponent(window.location.pathname + window.location.search);
  }

  function sessionEnded(response, data) {
    // 401: the server-side session ended; 400 without JSON: the form's token died with the cookie session.
    return response.status === 401 || (response.status === 400 && !(data && data.errors));
  }

  function showSessionEnded(form, resume) {
    if (resume) { drafts.set("postil-resume:" + layout.dataset.slug, JSON.stringify(resume)); }
    var status = form.querySelector(".form-status");
    status.textContent = SESSION_ENDED + " ";
    var link = document.createElement("a");
    link.href = signInAgainUrl();
    link.textContent = "Sign in again";
    status.appendChild(link);
    status.classList.add("error");
    link.focus();
  }

  function noteRestored(form) {
    var status = form.querySelector(".form-status");
    status.classList.remove("error");
    status.textContent = "Draft restored: the text you had not saved is back.";
  }

  function addDiscard(form, key, onDiscard) {
    // Escape and Cancel keep the draft; throwing it away is a separate, confirmed choice.
    var buttons = form.querySelector(".form-buttons");
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button button-danger";
    discard.textContent = "Discard draft";
    discard.addEventListener("click", function () {
      if (!drafts.get(key) && !form.elements.body.value.trim()) { onDiscard(); return; }
      if (window.confirm("Discard this draft? The text you wrote here will be deleted.")) {
        drafts.remove(key);
        form.elements.body.value = "";
        onDiscard();
        announce("Draft discarded.");
      }
    });
    buttons.appendChild(document.createTextNode(" "));
    buttons.appendChild(discard);
  }

  /* ---- canonical text and offsets ---- */

  function codePoints(text) { return Array.from(text).length; }

  function isCanonical(node) {
    for (var el = node.parentNode; el && el !== body; el = el.parentNode) {
      if (el.nodeType === 1 && el.hasAttribute("data-nc")) { return false; }
    }
    return true;
  }

  function indexText() {
    segments = [];
    var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT, null);
    var offset = 0;
    var text = "";
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!isCanonical(node)) { continue; }
      segments.push({ node: node, start: offset });
      offset += codePoints(node.data);
      text += node.data;
    }
    canonical = Array.from(text);
  }

  function offsetOf(container, offset) {
    var point = document.createRange();
    point.setStart(container, offset);
    point.collapse(true);
    var total = 0;
    for (var i = 0; i < segments.length; i++) {
      var node = segments[i].node;
      if (node === container) { return segments[i].start + codePoints(node.data.slice(0, offset)); }
      if (point.comparePoint(node, node.length) < 0) { total = segments[i].start + codePoints(node.data); continue; }
      return segments[i].start;
    }
    return total;
  }

  function slice(start, end) { return canonical.slice(start, end).join(""); }

  function selectionInBody() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { return null; }
    var range = sel.getRangeAt(0);
    if (!body.contains(range.commonAncestorContainer)) { return null; }
    var start = offsetOf(range.startContainer, range.startOffset);
    var end = offsetOf(range.endContainer, range.endOffset);
    // Trim whitespace at both ends so the quote starts and ends on words.
    while (start < end && /\s/.test(canonical[start])) { start++; }
    while (end > start && /\s/.test(canonical[end - 1])) { end--; }
    if (end <= start) { return null; }
    var node = range.endContainer.nodeType === 1 ? range.endContainer : range.endContainer.parentNode;
    return { start: start, end: end, rect: range.getBoundingClientRect(),
             block: node.closest ? node.closest("[data-block]") : null };
  }

  /* ---- the Annotate control ---- */

  function hideButton() {
    if (button) { button.hidden = true; }
  }

  function showButton(selection) {
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "annotate-button";
      button.textContent = signedIn ? "Annotate" : "Sign in to annotate";
      if (signedIn) { button.setAttribute("aria-keyshortcuts", "Alt+A"); }
      button.addEventListener("mousedown", function (event) { event.preventDefault(); });
      button.addEventListener("keydown", function (event) {
        // Onwards from the Annotate control is onwards from the passage: the paragraph's own link next.
        if (event.key === "Tab" && !event.shiftKey && pending && pending.block) {
          var next = pending.block.querySelector("a.block-annotate");
          if (next) { event.preventDefault(); next.focus(); }
        }
      });
      button.addEventListener("click", function () {
        if (!signedIn) { window.location.href = layout.dataset.signInUrl; return; }
        if (pending) { openForm(pending.start, pending.end, button); }
      });
      document.body.appendChild(button);
    }
    pending = { start: selection.start, end: selection.end, block: selection.block };
    var quote = slice(selection.start, selection.end);
    var shown = quote;
    if (Array.from(quote).length > 40) {
      shown = Array.from(quote).slice(0, 41).join("");
      shown = shown.slice(0, shown.lastIndexOf(" ") > 20 ? shown.lastIndexOf(" ") : 40).trim() + "…";
    }
    button.setAttribute("aria-label", (signedIn ? "Annotate" : "Sign in to annotate") + " “" + shown + "”");
    var top = window.scrollY + selection.rect.bottom + 8;
    var left = window.scrollX + Math.max(8, selection.rect.left);
    button.style.top = top + "px";
    button.style.left = Math.min(left, window.scrollX + document.documentElement.clientWidth - 180) + "px";
    button.hidden = false;
  }

  function onSelection() {
    if (popover && popover.contains(document.activeElement)) { return; }
    var selection = selectionInBody();
    if (selection) { showButton(selection); } else { hideButton(); }
  }

  document.addEventListener("mouseup", function () { window.setTimeout(onSelection, 0); });
  document.addEventListener("touchend", function () { window.setTimeout(onSelection, 0); });
  // A touch selection (long press, then the handles) ends without a mouseup: follow the selection itself.
  var selectionTimer = null;
  document.addEventListener("selectionchange", function () {
    if (!window.matchMedia("(pointer: coarse)").matches) { return; }
    window.clearTimeout(selectionTimer);
    selectionTimer = window.setTimeout(onSelection, 250);
  });
  document.addEventListener("keyup", function (event) {
    if (event.shiftKey || event.key === "Shift") { onSelection(); }
  });
  document.addEventListener("keydown", function (event) {
    // After selecting words with the keyboard, Tab reaches the Annotate control first.
    if (event.key === "Tab" && !event.shiftKey && !event.altKey && button && !button.hidden &&
        document.activeElement !== button && !(popover && popover.contains(document.activeElement)) &&
        selectionInBody()) {
      event.preventDefault();
      button.focus();
      return;
    }
    // Keyboard path: with a passage selected (caret browsing or Shift+arrows), Alt+A opens the form.
    if (event.altKey && (event.key === "a" || event.key === "A") && pending && button && !button.hidden) {
      event.preventDefault();
      openForm(pending.start, pending.end, button);
    }
    if (event.key === "Escape") {
      // Escape closes the form it is pressed in (the annotation form or a reply), keeping the draft.
      var reply = document.activeElement && document.activeElement.closest &&
        document.activeElement.closest(".reply-form");
      if (reply && !event.defaultPrevented) { reply.closeReply(); return; }
      if (popover && !event.defaultPrevented) { closeForm(); return; }
      if (sheet.open && !event.defaultPrevented) { closeSheet(); }
    }
  });

  /* ---- the annotation form ---- */

  function draftKey(start, end) { return "postil-draft:" + layout.dataset.slug + ":" + start + ":" + end; }

  function closeForm() {
    if (!popover) { return; }
    var opener = popover.opener;
    if (popover.draftKey && drafts.get(popover.draftKey)) { announce("Form closed; your draft is kept."); }
    var returnTo = popover.returnTo;
    markPassage(null);
    document.body.classList.remove("is-annotating");
    popover.remove();
    popover = null;
    if (opener && document.body.contains(opener) && !opener.hidden) { opener.focus(); }
    else if (returnTo && document.body.contains(returnTo)) { returnTo.focus(); }
  }

  function openForm(start, end, opener, paragraphElement) {
    closeForm();
    var template = document.getElementById("annotate-form-template");
    popover = document.createElement("div");
    popover.className = "annotate-popover";
    popover.setAttribute("role", "dialog");
    popover.setAttribute("aria-modal", "true");
    popover.setAttribute("aria-label", "New annotation");
    popover.addEventListener("keydown", trapFocus);
    popover.appendChild(template.content.cloneNode(true));
    popover.opener = opener;
    // Where focus goes back to: the control that opened the form, or else the passage's paragraph link.
    var block = paragraphElement || (pending && pending.block);
    popover.returnTo = block ? block.querySelector("a.block-annotate") : null;
    var form = popover.querySelector("form");
    form.elements.csrf_token.value = csrfToken;
    var exact = form.elements.exact;
    exact.value = slice(start, end);
    setSelector(form, start, end);
    popover.paragraph = paragraphElement ? paragraphRange(paragraphElement) : { start: start, end: end };
    popover.draftKey = draftKey(popover.paragraph.start, popover.paragraph.end);
    var saved = drafts.get(popover.draftKey);
    if (saved) { form.elements.body.value = saved; }
    var key = popover.draftKey;
    form.elements.body.addEventListener("input", function () { drafts.set(key, form.elements.body.value); });
    exact.addEventListener("input", function () { refineQuote(form); });
    form.querySelector("[data-cancel]").addEventListener("click", function () { closeForm(); });
    addDiscard(form, key, function () { closeForm(); });
    if (paragraphElement) { addSentenceChoice(form, popover.paragraph); }
    popover.resume = { start: start, end: end, pstart: popover.paragraph.start, pend: popover.paragraph.end,
                       block: paragraphElement ? paragraphElement.dataset.block || null : null };
    form.addEventListener("submit", function (event) { event.preventDefault(); submitAnnotation(form); });
    var anchorElement = paragraphElement || body;
    var rect = opener && opener.getBoundingClientRect ? opener.getBoundingClientRect() : anchorElement.getBoundingClientRect();
    popover.style.top = (window.scrollY + rect.bottom + 8) + "px";
    document.body.appendChild(popover);
    document.body.classList.add("is-annotating");
    hideButton();
    markPassage(start, end);
    form.elements.body.focus({ preventScroll: true });
    // The whole form, Save included, in view; the passage just above it stays in view as well.
    popover.scrollIntoView({ block: "nearest" });
    if (saved) { noteRestored(form); announce("Draft restored."); }
  }

  function domPoint(offset) {
    // The text node and UTF-16 offset of canonical code point `offset`.
    for (var i = segments.length - 1; i >= 0; i--) {
      if (segments[i].start <= offset) {
        var node = segments[i].node;
        var units = Array.from(node.data).slice(0, offset - segments[i].start).join("").length;
        return { node: node, offset: Math.min(units, node.length) };
      }
    }
    return null;
  }

  function markPassage(start, end) {
    // While the form is open the passage stays marked (the selection itself goes when focus moves into the form).
    if (!window.CSS || !CSS.highlights || typeof Highlight === "undefined") { return; }
    CSS.highlights.delete("postil-passage");
    if (start === null || start === undefined) { return; }
    var from = domPoint(start), to = domPoint(end);
    if (!from || !to) { return; }
    var range = document.createRange();
    range.setStart(from.node, from.offset);
    range.setEnd(to.node, to.offset);
    CSS.highlights.set("postil-passage", new Highlight(range));
  }

  function trapFocus(event) {
    // A modal dialog: Tab and Shift+Tab go round its own controls.
    if (event.key !== "Tab") { return; }
    var controls = Array.from(popover.querySelectorAll("a[href], button, input, select, textarea"))
      .filter(function (el) { return !el.disabled && el.offsetParent !== null && el.type !== "hidden"; });
    if (!controls.length) { return; }
    var first = controls[0], last = controls[controls.length - 1];
    if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
  }

  function sentencesOf(start, end) {
    // Sentences of a paragraph, as canonical offsets: a stop, question or exclamation mark and a space.
    var text = slice(start, end);
    var found = [];
    var pattern = /[^.!?]+(?:[.!?]+["”’)\]]*|$)\s*/g;
    var match;
    while ((match = pattern.exec(text)) !== null && match[0]) {
      var before = codePoints(text.slice(0, match.index));
      var sentence = match[0].replace(/\s+$/, "");
      if (sentence.trim()) {
        var lead = codePoints(sentence) - codePoints(sentence.replace(/^\s+/, ""));
        found.push({ start: start + before + lead, end: start + before + codePoints(sentence) });
      }
    }
    return found;
  }

  function addSentenceChoice(form, range) {
    // The per-paragraph path: narrow the passage to one or several sentences instead of editing it by hand.
    var sentences = sentencesOf(range.start, range.end);
    if (sentences.length < 2) { return; }
    var fieldset = document.createElement("fieldset");
    fieldset.className = "field sentence-choice";
    var legend = document.createElement("legend");
    legend.textContent = "Sentences to annotate (the first to the last ticked)";
    fieldset.appendChild(legend);
    sentences.forEach(function (sentence, i) {
      var row = document.createElement("div");
      row.className = "checkbox";
      var box = document.createElement("input");
      box.type = "checkbox";
      box.id = "sel-sentence-" + i;
      box.checked = true;
      var label = document.createElement("label");
      label.htmlFor = box.id;
      label.textContent = slice(sentence.start, sentence.end);
      box.addEventListener("change", function () {
        var ticked = sentences.filter(function (s, j) { return document.getElementById("sel-sentence-" + j).checked; });
        if (!ticked.length) { return; }
        var s0 = ticked[0].start, s1 = ticked[ticked.length - 1].end;
        form.elements.exact.value = slice(s0, s1);
        setSelector(form, s0, s1);
        markPassage(s0, s1);
      });
      row.appendChild(box);
      row.appendChild(document.createTextNode(" "));
      row.appendChild(label);
      fieldset.appendChild(row);
    });
    form.elements.exact.closest(".field").insertAdjacentElement("afterend", fieldset);
  }

  function setSelector(form, start, end) {
    form.elements.start.value = start;
    form.elements.end.value = end;
    form.elements.prefix.value = slice(Math.max(0, start - CONTEXT), start);
    form.elements.suffix.value = slice(end, end + CONTEXT);
  }

  function paragraphRange(element) {
    var first = null;
    var last = null;
    for (var i = 0; i < segments.length; i++) {
      if (element.contains(segments[i].node)) {
        if (first === null) { first = segments[i].start; }
        last = segments[i].start + codePoints(segments[i].node.data);
      }
    }
    return { start: first || 0, end: last || 0 };
  }

  function refineQuote(form) {
    // The quote may be shortened to a phrase: find it inside the passage first chosen.
    var wanted = form.elements.exact.value.trim();
    var region = slice(popover.paragraph.start, popover.paragraph.end);
    var at = wanted ? region.indexOf(wanted) : -1;
    if (at >= 0) {
      var start = popover.paragraph.start + codePoints(region.slice(0, at));
      setSelector(form, start, start + codePoints(wanted));
      markPassage(start, start + codePoints(wanted));
    } else {
      form.elements.start.value = "";
      form.elements.end.value = "";
    }
  }

  function showErrors(form, errors) {
    // Each field in error is marked, its message is put next to it, and the first one takes the focus;
    // what belongs to no field goes to the form's status line.
    form.querySelectorAll(".field-message").forEach(function (p) { p.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.setAttribute("aria-describedby", (el.getAttribute("aria-describedby") || "").replace(/ ?\S+-message$/, ""));
    });
    var loose = [];
    var first = null;
    Object.keys(errors || {}).forEach(function (name) {
      var messages = (errors[name] || []).join(" ");
      var field = form.elements[name];
      if (field && field.length && !field.tagName) { field = field[0]; }
      if (!field || !field.id || field.type === "hidden") { loose.push(messages); return; }
      var note = document.createElement("p");
      note.className = "error field-message";
      note.id = field.id + "-message";
      note.textContent = messages;
      (field.closest(".field") || field.parentNode).appendChild(note);
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", ((field.getAttribute("aria-describedby") || "") + " " + note.id).trim());
      if (!first) { first = field; }
    });
    var status = form.querySelector(".form-status");
    status.textContent = loose.join(" ") || (first ? "Please correct the marked field; nothing was saved." :
      "The annotation could not be saved.");
    status.classList.add("error");
    if (first) { first.focus(); }
  }

  function post(url, form) {
    return fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrfToken, "Accept": "application/json" }
    });
  }

  function submitAnnotation(form) {
    var submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    form.querySelector(".form-status").textContent = "Saving…";
    post(form.action, form).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        submit.disabled = false;
        if (response.ok && data.id) {
          drafts.remove(popover.draftKey);
          closeForm();
          applyFragment(data);
        } else if (response.ok || sessionEnded(response, data)) {
          showSessionEnded(form, popover.resume);
        } else if (data.errors) {
          showErrors(form, data.errors);
        } else {
          showErrors(form, { form: [(data.error && data.error.message) || "The annotation could not be saved (error " + response.status + "). Your text is kept here."] });
        }
      });
    }).catch(function () {
      submit.disabled = false;
      showErrors(form, { form: ["No connection: your annotation is kept here; try again when you are back online."] });
    });
  }

  /* ---- refreshing the article and its discussion after a change ---- */

  function applyFragment(data) {
    // Fetch the page as any reader would (served from the page cache when possible) and swap in its
    // article body and discussion, so what the script shows is exactly what a reload would show.
    var shown = discussion.querySelectorAll("[data-threads] > li").length;
    return fetch(window.location.pathname + window.location.search, {
      credentials: "same-origin", headers: { "Accept": "text/html" }
    }).then(function (response) { return response.text(); }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var freshBody = page.getElementById("article-body");
      var freshDiscussion = page.getElementById("discussion");
      if (freshBody) { body.innerHTML = freshBody.innerHTML; }
      if (freshDiscussion) { discussion.innerHTML = freshDiscussion.innerHTML; }
      // The evidence map and the claims table count the discussion too.
      ["evidence-map", "claims"].forEach(function (id) {
        var fresh = page.getElementById(id), current = document.getElementById(id);
        if (fresh && current) { current.innerHTML = fresh.innerHTML; }
      });
      indexText();
      enhanceDiscussion();
      if (sheet.open) { discussion.querySelectorAll(".sheet-close").forEach(function (b) { b.remove(); }); addSheetClose(); }
      countThreads();
      // The threads the reader had loaded from later pages come back, so that nothing they were reading goes.
      return loadThreadsUpTo(shown).then(function () {
        if (data.id && !document.getElementById("a-" + data.id) && data.url) {
          // On a page of threads the reader had not loaded: its permalink opens that page at the annotation.
          window.location.href = data.url;
          return;
        }
        if (data.message) { announce(data.message); flash(data.message, data.id); }
        if (data.id) { focusThread(data.id, true); }
      });
    }).catch(function () {
      if (data.url) { window.location.href = data.url; }
    });
  }

  function flash(message, id) {
    // The confirmation goes next to what it confirms: at the head of the affected thread when there is one.
    var item = id ? document.getElementById("a-" + id) : null;
    var thread = item ? item.closest(".thread") || item : null;
    document.querySelectorAll(".thread-confirmation").forEach(function (old) { old.remove(); });
    if (thread) {
      var note = document.createElement("p");
      note.className = "flash flash-success thread-confirmation";
      note.textContent = message;
      thread.prepend(note);
      return;
    }
    var box = document.querySelector(".flashes");
    if (!box) {
      box = document.createElement("div");
      box.className = "flashes";
      document.getElementById("main").prepend(box);
    }
    box.innerHTML = "";
    var p = document.createElement("p");
    p.className = "flash flash-success";
    p.textContent = message;
    box.appendChild(p);
  }

  /* ---- highlights and threads ---- */

  function setActive(id) {
    body.querySelectorAll("mark.hl.is-active").forEach(function (m) { m.classList.remove("is-active"); });
    discussion.querySelectorAll(".thread.is-open").forEach(function (t) { t.classList.remove("is-open"); });
    body.querySelectorAll("mark.hl").forEach(function (mark) {
      if ((" " + mark.dataset.ids + " ").indexOf(" " + id + " ") >= 0) { mark.classList.add("is-active"); }
    });
  }

  /* ---- phones: the discussion is a bottom sheet over the text ---- */

  var narrow = window.matchMedia("(max-width: 62rem)");
  var sheet = { open: false, scrollY: 0, returnTo: null };
  var sheetToggle = document.createElement("button");
  sheetToggle.type = "button";
  sheetToggle.className = "button discussion-toggle";
  sheetToggle.setAttribute("aria-expanded", "false");
  sheetToggle.setAttribute("aria-controls", "discussion");
  sheetToggle.addEventListener("click", function () { openSheet(sheetToggle); });
  document.body.appendChild(sheetToggle);

  function countThreads() {
    var pager = discussion.querySelector("[data-thread-pages]");
    var count = pager ? pager.dataset.total : discussion.querySelectorAll(".threads > .thread").length;
    sheetToggle.textContent = "Discussion (" + count + ")";
  }

  function addSheetClose() {
    if (discussion.querySelector(".sheet-close")) { return; }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button button-secondary button-small sheet-close";
    close.textContent = "Back to the article";
    close.addEventListener("click", closeSheet);
    discussion.prepend(close);
  }

  function openSheet(returnTo) {
    // Over the text, which stays where it was: closing comes back to the same line.
    if (!narrow.matches) { return; }
    if (!sheet.open) { sheet.scrollY = window.scrollY; }
    sheet.open = true;
    sheet.returnTo = returnTo || sheet.returnTo;
    addSheetClose();
    discussion.classList.add("is-sheet");
    sheetToggle.setAttribute("aria-expanded", "true");
    sheetToggle.hidden = true;
  }

  function closeSheet() {
    if (!sheet.open) { return; }
    sheet.open = false;
    discussion.classList.remove("is-sheet");
    sheetToggle.setAttribute("aria-expanded", "false");
    sheetToggle.hidden = false;
    window.scrollTo(0, sheet.scrollY);
    var back = sheet.returnTo;
    sheet.returnTo = null;
    if (back && document.body.contains(back)) { back.focus({ preventScroll: true }); }
    window.scrollTo(0, sheet.scrollY);
  }

  narrow.addEventListener("change", function () { if (!narrow.matches) { closeSheet(); } });

  function focusThread(id, scroll, returnTo) {
    var item = document.getElementById("a-" + id);
    if (!item) { return; }
    var thread = item.closest(".thread") || item;
    setActive(thread.dataset.id);
    thread.classList.add("is-open");
    if (narrow.matches) {
      var y = sheet.open ? sheet.scrollY : window.scrollY;
      openSheet(returnTo || document.getElementById("hl-" + thread.dataset.id));
      discussion.scrollTop = 0;
      discussion.scrollTop = item.getBoundingClientRect().top - discussion.getBoundingClientRect().top - 48;
      item.focus({ preventScroll: true });
      window.scrollTo(0, y);
      // The passage stays in sight above the sheet (closing the sheet goes back to where the reader was).
      var passage = body.querySelector("mark.is-active");
      if (passage) {
        var top = passage.getBoundingClientRect().top;
        var limit = discussion.getBoundingClientRect().top - passage.getBoundingClientRect().height - 8;
        if (top < 8 || top > limit) { window.scrollBy(0, top - 16); }
      }
      return;
    }
    if (scroll) { item.scrollIntoView({ block: "center" }); }
    item.focus({ preventScroll: !scroll });
  }

  function threadIdOf(link) {
    // "#a-12" or "/articles/slug?threads=2#a-12": the thread's id after "#a-".
    var href = link.getAttribute("href") || "";
    var at = href.indexOf("#a-");
    return at >= 0 ? href.slice(at + 3) : "";
  }

  function focusHighlight(id) {
    closeSheet();
    setActive(id);
    var marker = document.getElementById("hl-" + id);
    var mark = body.querySelector("mark.is-active");
    (mark || marker || body).scrollIntoView({ block: "center" });
    if (marker) { marker.focus({ preventScroll: true }); }
  }

  body.addEventListener("click", function (event) {
    var mark = event.target.closest("mark.hl");
    if (mark && window.getSelection().isCollapsed) {
      var ids = (mark.dataset.ids || "").split(" ");
      focusThread(ids[0], true, document.getElementById("hl-" + ids[0]));
    }
    var ref = event.target.closest("a.hl-ref");
    if (ref) {
      // The thread may be on another page of threads: then the link (its page's address) is followed.
      var refId = threadIdOf(ref);
      if (document.getElementById("a-" + refId)) {
        event.preventDefault();
        focusThread(refId, true, ref);
      }
    }
    var link = event.target.closest("a.block-annotate");
    if (link && signedIn) {
      event.preventDefault();
      var block = link.closest("[data-block]") || link.previousElementSibling;
      if (block) {
        var range = paragraphRange(block);
        openForm(range.start, range.end, link, block);
      }
    }
  });

  function enhanceDiscussion(scope) {
    var within = scope || discussion;
    within.querySelectorAll("[data-focus-highlight]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        focusHighlight(link.dataset.focusHighlight);
      });
    });
    within.querySelectorAll('a[data-action="reply"]').forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        openReply(link);
      });
    });
    within.querySelectorAll("a[data-post]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        sendAction(link);
      });
    });
    if (scope) { return; }
    enhanceThreadPages();
    var filters = discussion.querySelector("form.filters");
    if (filters) {
      filters.querySelectorAll("select, input").forEach(function (input) {
        input.addEventListener("change", function () { filters.requestSubmit(); });
      });
    }
  }

  /* ---- further pages of threads: loaded in place as the reader scrolls, or with a button ---- */

  var threadPagesWatch = null;

  function enhanceThreadPages() {
    // Without the script "More threads" is a link to the next page; with it, a button that appends the
    // next page's threads here, pressed for the reader when the end of the list scrolls into view.
    var pager = discussion.querySelector("[data-thread-pages]");
    var next = pager && pager.querySelector("[data-more-threads]");
    if (threadPagesWatch) { threadPagesWatch.disconnect(); threadPagesWatch = null; }
    if (!next) { return; }
    var more = document.createElement("button");
    more.type = "button";
    more.className = "button button-secondary button-small more-threads";
    more.textContent = "Show more threads";
    more.dataset.next = next.getAttribute("href");
    more.addEventListener("click", function () { loadMoreThreads(more, true); });
    next.hidden = true;
    pager.appendChild(more);
    if ("IntersectionObserver" in window) {
      threadPagesWatch = new IntersectionObserver(function (entries) {
        if (entries.some(function (entry) { return entry.isIntersecting; })) { loadMoreThreads(more, false); }
      }, { rootMargin: "400px 0px" });
      threadPagesWatch.observe(more);
    }
  }

  function loadThreadsUpTo(count) {
    // Load further pages of threads, quietly, until `count` threads are shown or there are no more.
    var list = discussion.querySelector("[data-threads]");
    var more = discussion.querySelector("button.more-threads");
    if (!list || !more || list.children.length >= count) { return Promise.resolve(); }
    return loadMoreThreads(more, false, true).then(function (added) {
      return added ? loadThreadsUpTo(count) : undefined;
    });
  }

  function loadMoreThreads(more, pressed, quiet) {
    // Pressed while a page was already coming (scrolling asked first): focus goes to it all the same.
    // Resolves to the number of threads added (0 when nothing could be).
    if (pressed) { more.dataset.pressed = "true"; }
    if (more.getAttribute("aria-busy") === "true" || !more.dataset.next) { return Promise.resolve(0); }
    more.setAttribute("aria-busy", "true");
    more.textContent = "Loading more threads…";
    return fetch(more.dataset.next, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      }).then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var list = discussion.querySelector("[data-threads]");
        var fresh = page.querySelector("#discussion [data-threads]");
        var freshPager = page.querySelector("#discussion [data-thread-pages]");
        var pager = discussion.querySelector("[data-thread-pages]");
        var added = [];
        if (list && fresh) {
          Array.prototype.slice.call(fresh.children).forEach(function (item) {
            if (!document.getElementById(item.id)) {
              var node = document.importNode(item, true);
              list.appendChild(node);
              enhanceDiscussion(node);
              added.push(node);
            }
          });
        }
        var range = freshPager && freshPager.querySelector("[data-thread-range]");
        var shownRange = pager && pager.querySelector("[data-thread-range]");
        var total = pager ? pager.dataset.total : "";
        var nextLink = freshPager && freshPager.querySelector("[data-more-threads]");
        if (shownRange && range) {
          shownRange.textContent = "Threads 1 to " + list.children.length + " of " + total;
        }
        more.removeAttribute("aria-busy");
        var focusNew = more.dataset.pressed === "true";
        delete more.dataset.pressed;
        if (nextLink) {
          more.dataset.next = nextLink.getAttribute("href");
          more.textContent = "Show more threads";
          var visibleNext = pager.querySelector("[data-more-threads]");
          if (visibleNext) { visibleNext.setAttribute("href", more.dataset.next); }
          // Watched afresh: if the end of the list is still near, the next page comes too.
          if (threadPagesWatch) { threadPagesWatch.unobserve(more); threadPagesWatch.observe(more); }
        } else {
          if (threadPagesWatch) { threadPagesWatch.disconnect(); threadPagesWatch = null; }
          delete more.dataset.next;
          more.remove();
          var lastLink = pager && pager.querySelector("[data-more-threads]");
          if (lastLink) { lastLink.remove(); }
        }
        if (!quiet) {
          announce(added.length + (added.length === 1 ? " more thread" : " more threads") + " loaded: " +
            list.children.length + " of " + total + " shown.");
        }
        if (focusNew && added.length) { added[0].focus(); }
        return added.length;
      }).catch(function () {
        more.removeAttribute("aria-busy");
        more.textContent = "Show more threads";
        if (more.dataset.pressed === "true") {
          delete more.dataset.pressed;
          announce("The next threads could not be loaded. Try again, or follow the link to the next page.");
        }
        var link = discussion.querySelector("[data-thread-pages] [data-more-threads]");
        if (link) { link.hidden = false; }
      });
  }

  /* ---- helpful, follow, accepted answer: one POST each, then the page as a reload would show it ---- */

  function sendAction(link) {
    var data = new FormData();
    data.append("csrf_token", csrfToken);
    if (link.dataset.type) {
      data.append("type", link.dataset.type);
      data.append("target", link.dataset.target);
    }
    link.setAttribute("aria-disabled", "true");
    fetch(link.dataset.post, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrfToken, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (result) {
        link.removeAttribute("aria-disabled");
        if (response.ok) {
          // The permalink opens the right page of threads should this one have come with a later page.
          var annotation = link.closest(".annotation");
          var permalink = annotation && annotation.querySelector("a.permalink");
          applyFragment({ id: link.dataset.id || link.dataset.target, message: result.message,
                          url: permalink ? permalink.getAttribute("href") : null });
        } else {
          var message = (result.error && result.error.message) || "That did not work (error " + response.status + "); nothing changed.";
          announce(message);
          flash(message);
        }
      });
    }).catch(function () {
      link.removeAttribute("aria-disabled");
      announce("No connection: nothing changed. Try again when you are back online.");
    });
  }

  function openReply(link) {
    var article = link.closest(".annotation");
    var existing = article.parentNode.querySelector(":scope > .reply-form");
    if (existing) { existing.querySelector("textarea").focus(); return; }
    var id = link.dataset.id;
    var form = document.createElement("form");
    form.className = "reply-form";
    form.method = "post";
    form.action = link.getAttribute("href");
    var key = "postil-reply:" + id;
    form.draftKey = key;
    form.innerHTML =
      '<input type="hidden" name="csrf_token">' +
      '<div class="field"><label for="reply-' + id + '">Your reply</label>' +
      '<textarea id="reply-' + id + '" name="body" rows="4" maxlength="10000" required data-mentions ' +
      'aria-describedby="reply-' + id + '-help"></textarea>' +
      '<p class="help" id="reply-' + id + '-help">Type @ and a name to mention a colleague.</p></div>' +
      '<p class="form-status" role="status" aria-live="polite"></p>' +
      '<div class="form-buttons"><button type="submit" class="button">Post reply</button> ' +
      '<button type="button" class="button button-secondary" data-cancel>Cancel</button></div>';
    form.elements.csrf_token.value = csrfToken;
    var textarea = form.elements.body;
    textarea.value = drafts.get(key);
    textarea.addEventListener("input", function () { drafts.set(key, textarea.value); });
    form.closeReply = function () {
      if (drafts.get(key)) { announce("Reply closed; your draft is kept."); }
      form.remove();
      link.focus();
    };
    form.querySelector("[data-cancel]").addEventListener("click", function () { form.closeReply(); });
    addDiscard(form, key, function () { form.closeReply(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var submit = form.querySelector('button[type="submit"]');
      submit.disabled = true;
      post(form.action, form).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          submit.disabled = false;
          if (response.ok && data.id) { drafts.remove(key); applyFragment(data); }
          else if (response.ok || sessionEnded(response, data)) {
            showSessionEnded(form, { reply: id });
          } else { showErrors(form, data.errors || { form: [(data.error && data.error.message) || "The reply could not be saved. Your text is kept here."] }); }
        });
      }).catch(function () {
        submit.disabled = false;
        showErrors(form, { form: ["No connection: your reply is kept here; try again when you are back online."] });
      });
    });
    article.insertAdjacentElement("afterend", form);
    textarea.focus();
    if (textarea.value) { noteRestored(form); announce("Draft restored."); }
  }

  function resumeAfterSignIn() {
    // A save refused because the session had ended left a note of what was open: open it again.
    var resumeKey = "postil-resume:" + layout.dataset.slug;
    var note = drafts.get(resumeKey);
    if (!note || !signedIn) { return; }
    drafts.remove(resumeKey);
    var resume;
    try { resume = JSON.parse(note); } catch (e) { return; }
    if (resume.reply) {
      var link = discussion.querySelector('a[data-action="reply"][data-id="' + resume.reply + '"]');
      if (link) { openReply(link); }
      return;
    }
    var block = resume.block !== null && resume.block !== undefined ?
      body.querySelector('[data-block="' + resume.block + '"]') : null;
    openForm(resume.start, resume.end, null, block);
  }

  var newLink = document.querySelector("[data-new-link]");
  if (newLink) {
    newLink.addEventListener("click", function (event) {
      var newId = newLink.dataset.newLink;
      if (document.getElementById("a-" + newId)) {
        event.preventDefault();
        focusThread(newId, true);
      }
    });
  }

  indexText();
  enhanceDiscussion();
  countThreads();
  var opened = new URLSearchParams(window.location.search).get("open");
  var target = opened || (window.location.hash.indexOf("#a-") === 0 ? window.location.hash.slice(3) : null);
  if (target) {
    // Back from a form (flag, edit, reply without the script): its confirmation goes beside the thread.
    var done = document.querySelector(".flashes .flash-success");
    if (done && document.getElementById("a-" + target)) {
      flash(done.textContent, target);
      var box = done.parentNode;
      done.remove();
      if (!box.children.length) { box.remove(); }
    }
    focusThread(target, true);
  }
  resumeAfterSignIn();
})();
