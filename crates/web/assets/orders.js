// The work-order pages' script (served as /assets/orders.js). It reads the page's reference
// data from <script id="page-data">, fetches orders from the JSON API with the session cookie
// and posts actions to it. The API decides; this only shows what it answers.
"use strict";
var Rexian = (function () {
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var L = data.labels;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "class") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c == null) return;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }
  // "中文 English": the Chinese label with the English one beside it.
  function bi(table, code) {
    var l = (L[table] || {})[code];
    if (!l) return document.createTextNode(code == null ? "—" : String(code));
    return el("span", {}, [l[0] + " ", el("span", { class: "en", text: l[1] })]);
  }
  function zh(table, code) {
    var l = (L[table] || {})[code];
    return l ? l[0] : code;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // Beijing time (Asia/Shanghai is UTC+8 all year, no daylight saving since 1991).
  function time(iso) {
    if (!iso) return "—";
    var d = new Date(Date.parse(iso) + 8 * 3600 * 1000);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
      " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }
  function department(code) {
    for (var i = 0; i < data.departments.length; i++) {
      if (data.departments[i].code === code || data.departments[i].id === code) return data.departments[i].name;
    }
    return code || "—";
  }

  function api(method, path, body, headers) {
    var init = { method: method, credentials: "same-origin", headers: headers || {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      return r.text().then(function (t) {
        var j = null;
        try { j = t ? JSON.parse(t) : null; } catch (e) { j = null; }
        return { status: r.status, body: j };
      });
    }, function () {
      return { status: 0, body: null };
    });
  }
  var STATUS_ZH = {
    0: "网络中断，请重试",
    400: "请求格式有误",
    401: "登录已失效，请重新登录",
    403: "无权执行此操作",
    404: "没有找到",
    409: "工单当前状态不允许此操作",
    422: "填写有误",
    429: "尝试过于频繁，请稍后再试",
    503: "服务繁忙，请重试",
  };
  // The API's message, after what the status means in Chinese.
  function errorText(r) {
    var zhText = STATUS_ZH[r.status] || ("出错了 (" + r.status + ")");
    var msg = r.body && r.body.error && r.body.error.message;
    return zhText + (msg ? "：" + msg : "");
  }
  function show(id, text, isError) {
    var p = document.getElementById(id);
    if (!p) return;
    p.textContent = text || "";
    p.hidden = !text;
    if (isError) p.className = "error";
  }

  // ---- lists ----
  function deadlineOf(o) {
    if (o.state === "pending_callback" || o.state === "callback_done") return o.callback_due_at;
    if (o.state === "dispatched") return o.sign_due_at || o.handle_due_at;
    return o.handle_due_at;
  }
  function caller(o) {
    if (o.caller_phone == null && o.caller_name == null) return el("span", { text: "（保密 confidential）" });
    return el("span", {}, [(o.caller_name || "") + " ", el("span", { class: "phone", text: o.caller_phone || "" })]);
  }
  function row(o) {
    var overdue = o.overdue && o.overdue.length > 0;
    var flags = [];
    if (o.urgent) flags.push(el("span", { class: "tag warn", text: "急" }));
    if (o.confidential) flags.push(el("span", { class: "tag", text: "密" }));
    var deadline = [time(deadlineOf(o))];
    if (overdue) deadline.push(" ", el("span", { class: "tag warn", text: "已超期 overdue" }));
    var cells = [
      [el("a", { href: "/orders/" + o.id, text: o.number })],
      [bi("kind", o.kind)],
      flags.concat([o.title]),
      [bi("state", o.state)],
      deadline,
      [o.lead_department ? department(o.lead_department) : "—"],
      [caller(o)],
    ];
    var tr = el("tr", { "data-id": String(o.id), "data-state": o.state },
      cells.map(function (c) { return el("td", {}, c); }));
    if (overdue) tr.className = "overdue";
    return tr;
  }
  function fill(page, append) {
    var tbody = document.querySelector("#orders tbody");
    if (!append) tbody.replaceChildren();
    page.orders.forEach(function (o) { tbody.appendChild(row(o)); });
    document.getElementById("empty").hidden = tbody.children.length > 0;
  }
  function loadInto(path, append) {
    return api("GET", path).then(function (r) {
      if (r.status !== 200) { show("message", errorText(r), true); return null; }
      show("message", "");
      fill(r.body, append);
      return r.body;
    });
  }

  function list() {
    var params = new URLSearchParams(location.search);
    var q = new URLSearchParams();
    ["state", "kind", "q"].forEach(function (k) { if (params.get(k)) q.set(k, params.get(k)); });
    if (params.get("overdue") === "true") q.set("overdue", "true");
    // Dates are Beijing calendar days; the API takes instants, `created_to` exclusive.
    if (params.get("from")) q.set("created_from", new Date(params.get("from") + "T00:00:00+08:00").toISOString());
    if (params.get("to")) {
      var end = Date.parse(params.get("to") + "T00:00:00+08:00") + 24 * 3600 * 1000;
      q.set("created_to", new Date(end).toISOString());
    }
    q.set("limit", "50");
    paged("/api/v1/orders", q);
  }

  // Loads a list a page at a time: "more" asks for the page after the API's next_cursor.
  function paged(path, query) {
    var more = document.getElementById("more");
    var cursor = null;
    function load(append) {
      var q = new URLSearchParams(query);
      if (append && cursor != null) q.set("cursor", String(cursor));
      loadInto(path + "?" + q.toString(), append).then(function (page) {
        if (!page) return;
        cursor = page.next_cursor;
        more.hidden = cursor == null;
      });
    }
    more.addEventListener("click", function () { load(true); });
    load(false);
  }

  function inbox(departmentId) {
    if (!departmentId) { show("message", "没有承办单位 No departments", true); return; }
    paged("/api/v1/departments/" + departmentId + "/inbox", { limit: "100" });
  }

  function callbacks() {
    paged("/api/v1/callbacks", { limit: "100" });
  }

  // ---- registration ----
  function freshKey() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join("");
  }
  function register() {
    var form = document.getElementById("register-form");
    var button = document.getElementById("register-submit");
    var busy = false;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (busy) return;
      busy = true;
      button.disabled = true;
      form.querySelectorAll(".field-error").forEach(function (e) { e.textContent = ""; });
      show("register-error", "");
      var f = form.elements;
      var body = {
        kind: f.kind.value,
        source: f.source.value,
        urgent: f.urgent.checked,
        confidential: f.confidential.checked,
        title: f.title.value,
        content: f.content.value,
        caller_name: f.caller_name.value,
        caller_phone: f.caller_phone.value,
      };
      ["category_code", "town", "address"].forEach(function (k) {
        if (f[k].value.trim() !== "") body[k] = f[k].value;
      });
      api("POST", "/api/v1/orders", body, { "Idempotency-Key": f.key.value }).then(function (r) {
        if ((r.status === 201 || r.status === 200) && r.body) {
          // A form brought back with the Back button is a new order: give it a new key, or
          // the API would answer it with this one.
          f.key.value = freshKey();
          location.href = "/orders/" + r.body.id;
          return;
        }
        busy = false;
        button.disabled = false;
        var field = r.body && r.body.error && r.body.error.field;
        var slot = field && document.getElementById("err-" + field);
        if (r.status === 422 && slot) {
          slot.textContent = r.body.error.message;
          var input = document.getElementById(field);
          if (input) input.focus();
        } else {
          show("register-error", errorText(r), true);
        }
      });
    });
  }

  // ---- one order ----
  var PATH = {
    resolve_directly: "resolve", submit_for_dispatch: "submit", request_return: "return",
    request_extension: "extension", transfer_to_emergency: "transfer",
    approve_reply: "approve-reply", reject_reply: "reject-reply",
    approve_return: "approve-return", refuse_return: "refuse-return",
    approve_extension: "approve-extension", refuse_extension: "refuse-extension",
  };
  function options(table, codes) {
    return codes.map(function (c) { return { value: c, text: zh(table, c) + " " + L[table][c][1] }; });
  }
  function departmentOptions() {
    return data.departments.filter(function (d) { return d.active; })
      .map(function (d) { return { value: String(d.id), text: d.name }; });
  }
  var REASON = { name: "reason", label: "原因 Reason", type: "textarea", required: true };
  // What each action asks for; an action not listed needs nothing.
  var FORMS = {
    resolve_directly: [{ name: "answer", label: "答复内容 Answer", type: "textarea", required: true }],
    dispatch: [
      { name: "lead_department_id", label: "主办单位 Lead department", type: "select", options: departmentOptions, number: true },
      { name: "assisting_department_ids", label: "协办单位（可选） Assisting departments (optional)", type: "checks", options: departmentOptions },
    ],
    redispatch: [
      { name: "lead_department_id", label: "主办单位 Lead department", type: "select", options: departmentOptions, number: true },
      { name: "assisting_department_ids", label: "协办单位（可选） Assisting departments (optional)", type: "checks", options: departmentOptions },
      REASON,
    ],
    reply: [{ name: "content", label: "答复内容 Reply", type: "textarea", required: true }],
    reject_reply: [REASON], reopen: [REASON], request_return: [REASON], refuse_return: [REASON],
    refuse_extension: [REASON],
    request_extension: [
      { name: "working_days", label: "延期工作日 Working days", type: "number", required: true },
      REASON,
    ],
    approve_extension: [{ name: "working_days", label: "批准工作日（留空为所申请天数） Working days (empty: as asked)", type: "number" }],
    invalidate: [
      { name: "category", label: "无效原因 Category", type: "select", options: function () { return options("invalid", Object.keys(L.invalid)); } },
      REASON,
    ],
    callback: [
      { name: "status", label: "回访结果 Outcome", type: "select", options: function () {
        return [{ value: "reached", text: "已联系上 Reached" }, { value: "unreachable", text: "未联系上 Unreachable" }];
      } },
      { name: "resolved", label: "问题是否解决 Resolved?", type: "select", only: "reached", options: function () {
        return [{ value: "true", text: "已解决 Yes" }, { value: "false", text: "未解决 No" }];
      } },
      { name: "satisfaction", label: "满意度 Satisfaction", type: "select", only: "reached", options: function () { return options("satisfaction", Object.keys(L.satisfaction)); } },
      { name: "attempts", label: "拨打次数 Attempts", type: "number", only: "unreachable" },
    ],
    merge: [{ name: "into", label: "并入工单编号 Into order number", type: "text", required: true }],
    transfer_to_emergency: [
      { name: "service", label: "应急联动 Service", type: "select", options: function () { return options("service", Object.keys(L.service)); } },
    ],
    remind: [{ name: "note", label: "催办说明（可选） Note (optional)", type: "textarea" }],
    supervise: [
      { name: "level", label: "督办等级 Level", type: "select", options: function () {
        return options("supervision", Object.keys(L.supervision).filter(function (c) { return c !== "none" && c !== "reminder"; }));
      } },
      REASON,
    ],
  };

  function actionBody(code, form) {
    var body = {};
    var spec = FORMS[code] || [];
    var status = form.elements.status ? form.elements.status.value : null;
    spec.forEach(function (f) {
      if (f.only && f.only !== status) return;
      if (f.type === "checks") {
        body[f.name] = Array.prototype.slice.call(form.querySelectorAll("input[name=" + f.name + "]:checked"))
          .map(function (i) { return Number(i.value); });
        return;
      }
      var v = form.elements[f.name].value;
      if (f.type === "number" || f.number) {
        if (v.trim() === "") return;
        body[f.name] = Number(v);
      } else if (f.name === "resolved") {
        body[f.name] = v === "true";
      } else {
        body[f.name] = v;
      }
    });
    if (code === "callback") {
      var outcome = { status: body.status };
      if (body.status === "reached") {
        outcome.resolved = body.resolved;
        outcome.satisfaction = body.satisfaction;
      } else {
        outcome.attempts = body.attempts;
      }
      return { outcome: outcome };
    }
    return body;
  }

  function fieldInput(f) {
    var id = "af-" + f.name;
    var input;
    if (f.type === "select") {
      input = el("select", { id: id, name: f.name }, f.options().map(function (o) {
        return el("option", { value: o.value, text: o.text });
      }));
    } else if (f.type === "checks") {
      input = el("div", { id: id }, f.options().map(function (o) {
        return el("label", { style: "display:inline-block; margin-right:1rem" },
          [el("input", { type: "checkbox", name: f.name, value: o.value }), " " + o.text]);
      }));
    } else if (f.type === "textarea") {
      input = el("textarea", { id: id, name: f.name, rows: "3" });
    } else {
      input = el("input", { id: id, name: f.name, type: f.type === "number" ? "number" : "text" });
      if (f.type === "number") input.setAttribute("min", "1");
    }
    if (f.required && f.type !== "checks") input.setAttribute("required", "");
    var wrap = el("div", { "data-field": f.name }, [
      el("label", { for: id, text: f.label }), input,
      el("div", { class: "field-error", id: "aerr-" + f.name }),
    ]);
    if (f.only) wrap.setAttribute("data-only", f.only);
    return wrap;
  }

  function detail(id) {
    var current = null;
    var busy = false;
    var form = document.getElementById("action-form");

    function dd(label, value) {
      var box = document.getElementById("fields");
      box.appendChild(el("dt", {}, [label[0] + " ", el("span", { class: "en", text: label[1] })]));
      box.appendChild(el("dd", {}, [value == null || value === "" ? "—" : value]));
    }
    function render(o) {
      current = o;
      document.title = o.number + " · rexian 12345";
      document.getElementById("number").textContent = o.number;
      var st = document.getElementById("state");
      st.replaceChildren(bi("state", o.state));
      st.setAttribute("data-state", o.state);
      var flags = [];
      if (o.urgent) flags.push(el("span", { class: "tag warn", text: "紧急 urgent" }));
      if (o.confidential) flags.push(el("span", { class: "tag", text: "保密 confidential" }));
      if (o.leader_flagged) flags.push(el("span", { class: "tag", text: "领导关注 leader-flagged" }));
      if (o.supervision_level && o.supervision_level !== "none") flags.push(el("span", { class: "tag warn" }, [bi("supervision", o.supervision_level)]));
      (o.overdue || []).forEach(function (k) { flags.push(el("span", { class: "tag warn" }, [zh("deadline", k) + "已超期 overdue"])); });
      if (o.reopen_count) flags.push(el("span", { class: "tag", text: "重办 " + o.reopen_count + " 次 reopened" }));
      if (o.extension_count) flags.push(el("span", { class: "tag", text: "延期 " + o.extension_count + " 次 extended" }));
      document.getElementById("flags").replaceChildren.apply(document.getElementById("flags"), flags);

      document.getElementById("fields").replaceChildren();
      dd(["类型", "Kind"], bi("kind", o.kind));
      dd(["来源", "Source"], bi("source", o.source));
      var cat = data.categories.filter(function (c) { return c.code === o.category_code; })[0];
      dd(["事项分类", "Category"], o.category_code ? o.category_code + (cat ? " " + cat.name : "") : null);
      dd(["标题", "Title"], o.title);
      dd(["诉求内容", "Content"], o.content);
      dd(["来电人", "Caller"], o.caller_name == null && o.caller_phone == null ? "（保密 confidential）" : o.caller_name);
      dd(["联系电话", "Phone"], o.caller_phone == null ? "（保密 confidential）" : el("span", { id: "caller-phone", text: o.caller_phone }));
      var town = data.towns.filter(function (t) { return t.code === o.town; })[0];
      dd(["乡镇", "Town"], town ? town.name : o.town);
      dd(["地址", "Address"], o.address);
      dd(["主办单位", "Lead department"], o.lead_department ? el("span", { id: "lead-department", text: department(o.lead_department) }) : null);
      dd(["协办单位", "Assisting"], (o.assisting_departments || []).map(department).join("、"));
      dd(["答复", "Reply"], o.reply_content);
      dd(["公开答复", "Public reply"], o.public_reply);
      if (o.last_callback) {
        var c = o.last_callback;
        var text = c.status === "reached"
          ? "已联系上 reached；" + (c.resolved ? "已解决 resolved" : "未解决 not resolved") + "；" + zh("satisfaction", c.satisfaction)
          : "未联系上 unreachable（" + c.attempts + " 次 attempts）";
        dd(["回访结果", "Callback"], text);
      }
      dd(["登记时间", "Registered"], time(o.created_at));
      dd(["更新时间", "Updated"], time(o.updated_at));

      var dl = document.getElementById("deadlines");
      dl.replaceChildren();
      [["sign_due_at", "sign"], ["handle_due_at", "handle"], ["callback_due_at", "callback"]].forEach(function (p) {
        var overdue = (o.overdue || []).indexOf(p[1]) >= 0;
        dl.appendChild(el("dt", {}, [bi("deadline", p[1])]));
        dl.appendChild(el("dd", {}, [time(o[p[0]]), overdue ? el("span", { class: "tag warn", text: " 已超期 overdue" }) : null]));
      });

      var box = document.getElementById("actions");
      box.replaceChildren();
      if (!o.allowed_actions.length) box.appendChild(el("p", { class: "en", text: "您现在对此工单没有可做的操作。 Nothing for you to do on this order now." }));
      o.allowed_actions.forEach(function (code) {
        var b = el("button", { type: "button", "data-action": code }, [bi("action", code)]);
        b.addEventListener("click", function () { choose(code); });
        box.appendChild(b);
      });
    }

    function load() {
      return api("GET", "/api/v1/orders/" + id).then(function (r) {
        if (r.status !== 200) { show("message", errorText(r), true); return; }
        render(r.body);
      }).then(history);
    }

    function history() {
      var note = document.getElementById("history-note");
      return api("GET", "/api/v1/orders/" + id + "/history").then(function (r) {
        var tbody = document.querySelector("#history tbody");
        if (r.status !== 200) { note.textContent = errorText(r); note.hidden = false; return; }
        tbody.replaceChildren.apply(tbody, r.body.map(function (e) {
          var parts = (e.actor || "").split(":");
          var who = parts[0] === "user" ? parts.slice(2).join(":") : parts[0] === "system" ? "系统 system" : e.actor;
          var p = e.payload || {};
          var move = p.to ? [p.from ? zh("state", p.from) + " → " : "", zh("state", p.to)].join("") : "";
          return el("tr", { "data-event": e.event_type }, [
            el("td", { text: time(e.occurred_at) }),
            el("td", {}, [bi("event", e.event_type)]),
            el("td", { text: who }),
            el("td", { text: move }),
            el("td", { text: e.reason || "" }),
          ]);
        }));
      });
    }

    function post(code, body) {
      if (busy) return;
      busy = true;
      show("action-error", "");
      show("action-done", "");
      form.querySelectorAll(".field-error").forEach(function (e) { e.textContent = ""; });
      var path = "/api/v1/orders/" + id + "/" + (PATH[code] || code);
      api("POST", path, body).then(function (r) {
        busy = false;
        if (r.status === 200) {
          form.hidden = true;
          form.replaceChildren();
          show("action-done", "已完成：" + zh("action", code) + " Done: " + L.action[code][1]);
          return load();
        }
        var field = r.body && r.body.error && r.body.error.field;
        var slot = field && document.getElementById("aerr-" + field);
        if (r.status === 422 && slot) slot.textContent = r.body.error.message;
        show("action-error", errorText(r), true);
        return load();
      });
    }

    function choose(code) {
      show("action-error", "");
      show("action-done", "");
      var spec = FORMS[code];
      if (!spec) { form.hidden = true; post(code, {}); return; }
      form.replaceChildren();
      form.setAttribute("data-action", code);
      form.appendChild(el("h3", {}, [bi("action", code)]));
      spec.forEach(function (f) { form.appendChild(fieldInput(f)); });
      form.appendChild(el("button", { type: "submit", id: "action-submit" }, ["提交 ", el("span", { class: "en", text: "Submit" })]));
      var cancel = el("button", { type: "button", style: "margin-left:1rem" }, ["取消 ", el("span", { class: "en", text: "Cancel" })]);
      cancel.addEventListener("click", function () { form.hidden = true; form.replaceChildren(); });
      form.appendChild(cancel);
      var toggle = function () {
        var status = form.elements.status ? form.elements.status.value : null;
        form.querySelectorAll("[data-only]").forEach(function (w) { w.hidden = w.getAttribute("data-only") !== status; });
      };
      if (form.elements.status) form.elements.status.addEventListener("change", toggle);
      toggle();
      form.hidden = false;
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var code = form.getAttribute("data-action");
      post(code, actionBody(code, form));
    });
    load();
  }

  return { list: list, register: register, detail: detail, inbox: inbox, callbacks: callbacks };
})();
