// Draws the association map from the JSON the page carries (json_script); no inline script, per the CSP.
// The list beside the graph carries the same information for everyone who cannot use the drawing.
(function () {
  "use strict";
  var holder = document.getElementById("map-data");
  var container = document.getElementById("map-graph");
  if (!holder || !container || typeof window.cytoscape !== "function") { return; }
  var data = JSON.parse(holder.textContent);
  var colours = { subject: "#1d70b8", associate: "#505a5f", place: "#00703c", group: "#4c2c92" };
  var elements = data.nodes.map(function (node) {
    return { data: { id: node.id, label: node.label, kind: node.kind, concern: node.concern ? 1 : 0, hop: node.hop } };
  }).concat(data.edges.map(function (edge) {
    return { data: { id: edge.id, source: edge.source, target: edge.target, label: edge.label, pending: edge.pending ? 1 : 0 } };
  }));
  window.cytoscape({
    container: container,
    elements: elements,
    style: [
      // Labels sit below their node on a white ground, so they cross neither nodes nor edges.
      { selector: "node", style: { "label": "data(label)", "font-size": 10, "text-wrap": "wrap", "text-max-width": 110,
        "text-valign": "bottom", "text-halign": "center", "text-margin-y": 4, "color": "#0b0c0c",
        "text-background-color": "#ffffff", "text-background-opacity": 0.9, "text-background-padding": 2,
        "background-color": function (el) { return colours[el.data("kind")] || "#505a5f"; } } },
      { selector: "node[kind = 'place']", style: { "shape": "round-rectangle" } },
      { selector: "node[kind = 'group']", style: { "shape": "hexagon" } },
      { selector: "node[hop = 0]", style: { "width": 40, "height": 40 } },
      { selector: "node[concern = 1]", style: { "border-width": 4, "border-color": "#d4351c" } },
      { selector: "edge", style: { "width": 2, "line-color": "#b1b4b6", "label": "data(label)", "font-size": 8,
        "curve-style": "bezier", "text-rotation": "autorotate", "color": "#505a5f",
        "text-background-color": "#ffffff", "text-background-opacity": 0.9, "text-background-padding": 1 } },
      { selector: "edge[pending = 1]", style: { "line-style": "dashed" } }
    ],
    layout: { name: "concentric", concentric: function (node) { return 3 - node.data("hop"); }, levelWidth: function () { return 1; },
      minNodeSpacing: 70, spacingFactor: 1.3, avoidOverlap: true, animate: false },
    userZoomingEnabled: true,
    boxSelectionEnabled: false
  });
}());
