// Checkable lists (web/widgets.py CheckableList): filter the options as one types and count the ticked ones.
// Event delegation only, so lists that htmx swaps in work too, and loading this file twice changes nothing.
(function () {
  if (window.tamasukChecklist) { return; }
  window.tamasukChecklist = true;

  // Compare without case, Latin accents, Arabic short vowels and tatweel, and with one alef, ya and ta marbuta.
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f\u064b-\u065f\u0670\u0640]/g, "")
      .replace(/[\u0622\u0623\u0625\u0671]/g, "\u0627").replace(/\u0649/g, "\u064a").replace(/\u0629/g, "\u0647")
      .toLocaleLowerCase().trim();
  }

  function filter(box, query) {
    var q = fold(query), shown = 0;
    box.querySelectorAll("[data-checklist-option]").forEach(function (li) {
      var match = !q || fold(li.textContent).indexOf(q) !== -1;
      li.hidden = !match;  // a hidden box still sends its tick: filtering never unticks anything
      if (match) { shown += 1; }
    });
    box.querySelectorAll("[data-checklist-group]").forEach(function (g) {
      g.hidden = !g.querySelector("[data-checklist-option]:not([hidden])");
    });
    var empty = box.querySelector("[data-checklist-empty]");
    if (empty) { empty.hidden = shown > 0; }
  }

  function count(box) {
    var out = box.querySelector("[data-checklist-count]");
    if (out) { out.textContent = box.querySelectorAll("input[type=checkbox]:checked").length; }
  }

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-checklist-filter]")) { filter(el.closest("[data-checklist]"), el.value); }
  });
  document.addEventListener("change", function (event) {
    var el = event.target, box = el.closest && el.closest("[data-checklist]");
    if (box && el.type === "checkbox") { count(box); }
  });
  // Enter in the filter must not send the whole form half-filled.
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key === "Enter" && el.matches && el.matches("[data-checklist-filter]")) { event.preventDefault(); }
  });
})();
