// The notes app: lists io.hearth.notes, creates one from the form, and shows notes created
// anywhere else as they arrive through realtime events.
(function () {
  "use strict";
  var notes = hearth.data("io.hearth.notes");
  var list = document.getElementById("notes");
  var status = document.getElementById("status");
  var shown = {};

  function show(doc) {
    if (!doc || !doc._id || shown[doc._id]) return;
    var li = document.createElement("li");
    li.dataset.id = doc._id;
    li.textContent = doc.title || "(untitled)";
    shown[doc._id] = li;
    list.appendChild(li);
  }

  function remove(id) {
    if (shown[id]) { shown[id].remove(); delete shown[id]; }
  }

  async function load() {
    var res = await notes.all();
    res.rows.forEach(function (row) { show(row.doc); });
  }

  document.getElementById("new-note").addEventListener("submit", async function (e) {
    e.preventDefault();
    var input = document.getElementById("title");
    try {
      var res = await notes.post({ title: input.value, created_at: new Date().toISOString() });
      show({ _id: res.id, title: input.value });
      input.value = "";
      status.textContent = "";
    } catch (err) {
      status.textContent = "Could not save the note: " + err.message;
    }
  });

  hearth.realtime("io.hearth.notes", function (ev) {
    if (ev.event === "DELETED") remove(ev.id);
    else if (ev.event === "CREATED") show(ev.doc);
    else if (ev.event === "UPDATED" && ev.doc && shown[ev.id]) shown[ev.id].textContent = ev.doc.title;
  });

  load().catch(function (err) { status.textContent = "Could not load the notes: " + err.message; });
})();
