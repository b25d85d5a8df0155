// The case page's evidence uploads (templates/evidence/_case_section.html): drop several files on the zone (or
// choose them), each is sent on its own (POST /cases/NUMBER/evidence, one file per request) with a progress bar;
// when all are done the list of files is read again from the case page. Without script the form posts one file.
"use strict";

function evidenceUploads(form) {
  const drop = document.getElementById("evidence-drop");
  const input = form.querySelector("input[type=file]");
  const list = document.getElementById("evidence-progress");
  const button = form.querySelector("button[type=submit]");

  function line(file) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    const bar = document.createElement("progress");
    const answer = document.createElement("span");
    name.textContent = file.name + " ";
    bar.max = 100; bar.value = 0;
    answer.className = "answer";
    item.append(name, bar, answer);
    list.append(item);
    return {bar: bar, answer: answer};
  }

  function sendOne(file, shown) {
    return new Promise(function (resolve) {
      const body = new FormData();
      form.querySelectorAll("input[type=hidden], select, input[name=note]").forEach(function (field) {
        body.append(field.name, field.value);
      });
      body.append("file", file, file.name);
      const request = new XMLHttpRequest();
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { shown.bar.value = Math.round(e.loaded * 100 / e.total); }
      });
      request.addEventListener("loadend", function () {
        const page = new DOMParser().parseFromString(request.responseText || "", "text/html");
        const said = page.querySelector("[data-testid=evidence-uploaded], [role=alert]");
        shown.answer.textContent = " " + (said ? said.textContent : (request.status + " " + request.statusText));
        shown.answer.className = request.status === 201 ? "answer ok" : "answer error";
        if (request.status === 201) { shown.bar.value = 100; }
        resolve(request.status === 201);
      });
      request.open("POST", form.getAttribute("action"));
      request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      request.send(body);
    });
  }

  function refreshList() {
    return fetch(window.location.pathname, {credentials: "same-origin"}).then(function (answer) {
      return answer.text();
    }).then(function (text) {
      const fresh = new DOMParser().parseFromString(text, "text/html");
      ["evidence-files", "evidence-records"].forEach(function (name) {
        const now = document.querySelector("[data-testid=" + name + "]");
        const then = fresh.querySelector("[data-testid=" + name + "]");
        if (now && then) { now.replaceWith(then); }
        else if (then) { document.querySelector("[data-testid=evidence-files]").after(then); }
      });
    });
  }

  async function sendAll(files) {
    if (!files.length) { return; }
    button.disabled = true;
    list.replaceChildren();
    const shown = Array.from(files).map(line);
    let kept = 0;
    for (let i = 0; i < files.length; i++) {
      if (await sendOne(files[i], shown[i])) { kept++; }
    }
    button.disabled = false;
    input.value = "";
    if (kept) { await refreshList(); }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    sendAll(input.files);
  });
  input.required = false;
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (event) { event.preventDefault(); drop.classList.add("over"); });
  });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    drop.classList.remove("over");
    sendAll(event.dataTransfer.files);
  });
}

document.addEventListener("DOMContentLoaded", function () {
  const form = document.getElementById("evidence-form");
  if (form) { evidenceUploads(form); }
});
