// dom.js: the only way the console makes elements. Text always goes in as text (textContent,
// createTextNode), never as HTML: a message, a case title or a unit name is shown, not run.

/** Makes an element: h("button", {class: "primary", onclick: fn}, "text", child, ...). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "value") element.value = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else if (child instanceof Node) element.appendChild(child);
    else element.appendChild(document.createTextNode(String(child)));
  }
}

/** Data that people typed or that came from the hub (a title, a message, a name): marked, so that
 * the language tests can tell it from the console's own words. */
export function data(value, tag = "span") {
  return h(tag, { class: "ud" }, value === undefined || value === null ? "" : String(value));
}

/** Replaces an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}
