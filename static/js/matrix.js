// The draft matrix's cells, edited in place: a click on a cell's link (which without script opens
// that cell's form on a page of its own) puts the same small form in the cell instead, copied from
// the grid's one template per kind of cell, with the row's address, the updated_at it read and the
// cell's value. Saving posts the form as the page would; Cancel (or Escape) puts the value back.
(function () {
  "use strict";

  function open(link) {
    var row = link.closest("tr[data-edit-url]");
    var template = document.getElementById("cell-form-" + link.dataset.cell);
    if (!row || !template) return false;
    var form = template.content.firstElementChild.cloneNode(true);
    form.action = row.dataset.editUrl;
    form.elements.read_at.value = row.dataset.readAt;
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.type === "hidden" || field.tagName === "BUTTON") return;
      if (field.name in link.dataset) field.value = link.dataset[field.name];
      else if ("value" in link.dataset) field.value = link.dataset.value;
      else field.value = link.textContent.trim();
    });
    form.querySelector(".cell-cancel").addEventListener("click", function () {
      close(link, form);
    });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") close(link, form);
    });
    link.hidden = true;
    link.insertAdjacentElement("afterend", form);
    var first = form.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
    return true;
  }

  function close(link, form) {
    form.remove();
    link.hidden = false;
    link.focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.cell-edit");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    if (open(link)) event.preventDefault();
  });
})();
