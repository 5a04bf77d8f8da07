// Live preview of a caption template on its admin page: POSTs the form's texts to
// the admin's preview endpoint and shows the rendered, limited texts or the error.
"use strict";
(function () {
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    var box = document.getElementById("caption-preview");
    if (!box) { return; }
    var form = box.closest("form");
    var fields = ["title", "description"];
    var timer = null;
    var sequence = 0;

    function value(id) {
      var element = document.getElementById(id);
      return element ? element.value : "";
    }

    function csrfToken() {
      var input = form.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    }

    function show(data) {
      var status = box.querySelector(".caption-status");
      status.textContent = data.task || "";
      fields.forEach(function (name) {
        var row = box.querySelector("tr[data-field=" + name + "]");
        var cell = row.querySelector("td.value");
        var count = row.querySelector("td.count");
        var result = (data.fields || {})[name] || {};
        cell.textContent = "";
        count.textContent = "";
        if (result.error) {
          var error = document.createElement("span");
          error.className = "caption-error";
          error.textContent = result.error;
          cell.appendChild(error);
          return;
        }
        cell.appendChild(document.createTextNode(result.text || ""));
        if (result.note) {
          var note = document.createElement("div");
          note.className = "caption-cut";
          note.textContent = result.note;
          cell.appendChild(note);
        }
        count.textContent = (result.length || 0) + " / " + (result.limit || "");
      });
    }

    function refresh() {
      var mine = ++sequence;
      var body = new FormData();
      body.append("platform", value("id_platform"));
      body.append("language", value("id_language"));
      body.append("task", value("caption-preview-task"));
      fields.forEach(function (name) { body.append(name, value("id_" + name)); });
      fetch(box.dataset.url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() }
      }).then(function (response) {
        return response.json();
      }).then(function (data) {
        if (mine !== sequence) { return; }
        if (data.error) {
          box.querySelector(".caption-status").textContent = data.error;
          return;
        }
        show(data);
      }).catch(function () {
        box.querySelector(".caption-status").textContent = "…";
      });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 300);
    }

    fields.forEach(function (name) {
      var element = document.getElementById("id_" + name);
      if (element) { element.addEventListener("input", later); }
    });
    ["id_platform", "id_language", "caption-preview-task"].forEach(function (id) {
      var element = document.getElementById(id);
      if (element) { element.addEventListener("change", refresh); }
    });
    var defaults = JSON.parse(document.getElementById("caption-defaults").textContent);
    document.getElementById("caption-use-defaults").addEventListener("click", function () {
      var texts = defaults[value("id_language")] || {};
      fields.forEach(function (name) {
        var element = document.getElementById("id_" + name);
        if (element && texts[name] !== undefined) { element.value = texts[name]; }
      });
      refresh();
    });
    refresh();
  });
})();
