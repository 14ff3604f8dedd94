/* @mentions: typing @ and a name in an annotation or reply offers colleagues in an accessible combobox.
 *
 * The text area keeps the focus; the list of people is a listbox whose active option is named by
 * aria-activedescendant. Arrow keys move, Enter or Tab choose, Escape closes the list (and only the
 * list: the form and what is typed stay). Choosing inserts @[Name](/people/ID): the mention refers to
 * the account, and the server renders it as a link to the person's profile with their current name.
 * Without this script a mention can still be typed in that form; nothing else depends on it.
 */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="people-search"]');
  if (!meta) { return; }
  var searchUrl = meta.content;
  var SELECTOR = "textarea[data-mentions], form textarea[name=body]";
  var QUERY = /(^|[\s(])@([^@\n[\]()]{0,40})$/;
  var counter = 0;
  var state = null;   // {textarea, list, status, options, active, start, timer}

  function listFor(textarea) {
    if (textarea.mentionList) { return textarea.mentionList; }
    counter += 1;
    var list = document.createElement("ul");
    list.id = "mention-list-" + counter;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "People to mention");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    textarea.parentNode.classList.add("mention-host");
    textarea.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", list.id);
    textarea.setAttribute("aria-expanded", "false");
    textarea.mentionList = { list: list, status: status };
    list.addEventListener("mousedown", function (event) {
      var option = event.target.closest("[role=option]");
      if (option && state) {
        event.preventDefault();
        choose(Number(option.dataset.index));
      }
    });
    return textarea.mentionList;
  }

  function close() {
    if (!state) { return; }
    window.clearTimeout(state.timer);
    state.list.hidden = true;
    state.list.innerHTML = "";
    state.textarea.setAttribute("aria-expanded", "false");
    state.textarea.removeAttribute("aria-activedescendant");
    state = null;
  }

  function setActive(index) {
    if (!state || !state.options.length) { return; }
    state.active = (index + state.options.length) % state.options.length;
    Array.prototype.forEach.call(state.list.querySelectorAll("[role=option]"), function (option, i) {
      option.setAttribute("aria-selected", i === state.active ? "true" : "false");
      if (i === state.active) {
        state.textarea.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function render(people) {
    state.options = people;
    state.list.innerHTML = "";
    if (!people.length) {
      var empty = document.createElement("li");
      empty.className = "mention-empty";
      empty.setAttribute("role", "presentation");
      empty.textContent = "No one found with this name";
      state.list.appendChild(empty);
      state.status.textContent = "No one found with this name.";
      state.textarea.removeAttribute("aria-activedescendant");
    } else {
      people.forEach(function (person, i) {
        var option = document.createElement("li");
        option.id = state.list.id + "-option-" + person.id;
        option.className = "mention-option";
        option.setAttribute("role", "option");
        option.dataset.index = i;
        option.textContent = person.name;
        if (person.profession) {
          var detail = document.createElement("span");
          detail.className = "muted";
          detail.textContent = person.profession;
          option.appendChild(detail);
        }
        state.list.appendChild(option);
      });
      state.status.textContent = people.length + (people.length === 1 ? " person" : " people") +
        " found. Use the up and down arrows to choose, Enter to insert, Escape to close.";
      setActive(0);
    }
    state.list.hidden = false;
    state.textarea.setAttribute("aria-expanded", "true");
  }

  function search(textarea, query, start) {
    var parts = listFor(textarea);
    if (!state || state.textarea !== textarea) {
      close();
      state = { textarea: textarea, list: parts.list, status: parts.status, options: [], active: 0, timer: null };
    }
    state.start = start;
    window.clearTimeout(state.timer);
    if (!query.trim()) {
      state.options = [];
      state.list.innerHTML = "";
      state.status.textContent = "Type a name to mention someone.";
      state.list.hidden = true;
      return;
    }
    var current = state;
    current.timer = window.setTimeout(function () {
      fetch(searchUrl + "?q=" + encodeURIComponent(query.trim()), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) { return response.ok ? response.json() : { people: [] }; })
        .then(function (data) { if (state === current) { render(data.people || []); } })
        .catch(function () { /* offline: the text stays as typed */ });
    }, 150);
  }

  function choose(index) {
    var person = state && state.options[index];
    if (!person) { close(); return; }
    var textarea = state.textarea;
    var caret = textarea.selectionStart;
    var before = textarea.value.slice(0, state.start);
    var inserted = person.mention + " ";
    textarea.value = before + inserted + textarea.value.slice(caret);
    var position = before.length + inserted.length;
    textarea.setSelectionRange(position, position);
    close();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    var status = listFor(textarea).status;
    status.textContent = person.name + " mentioned.";
  }

  document.addEventListener("input", function (event) {
    var textarea = event.target;
    if (!textarea.matches || !textarea.matches(SELECTOR)) { return; }
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = QUERY.exec(before);
    if (!match) { if (state && state.textarea === textarea) { close(); } return; }
    search(textarea, match[2], before.length - match[2].length - 1);
  });

  // Capture phase: the list's keys are handled before the page's own (Escape would close the whole form).
  document.addEventListener("keydown", function (event) {
    if (!state || event.target !== state.textarea || state.list.hidden) { return; }
    var handled = true;
    if (event.key === "ArrowDown") { setActive(state.active + 1); }
    else if (event.key === "ArrowUp") { setActive(state.active - 1); }
    else if ((event.key === "Enter" || event.key === "Tab") && state.options.length) { choose(state.active); }
    else if (event.key === "Escape") { close(); }
    else { handled = false; }
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  document.addEventListener("focusout", function (event) {
    if (state && event.target === state.textarea) { window.setTimeout(function () {
      if (state && document.activeElement !== state.textarea) { close(); }
    }, 150); }
  });
})();
