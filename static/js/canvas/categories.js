// How a palette category looks: one colour and one icon per category, for nodes and palette.

const STYLES = {
  "Data Input and Output": { color: "#2f6fdb", icon: "⇅" },
  "Data Transformation": { color: "#8250df", icon: "⚙" },
  "Machine Learning Algorithms": { color: "#bf6a02", icon: "✱" },
  "Model Training": { color: "#cf4a8c", icon: "▶" },
  "Model Scoring & Evaluation": { color: "#1a7f37", icon: "✓" },
  "Web Service": { color: "#0a7ea4", icon: "☁" },
  "Text Analytics": { color: "#9a5b00", icon: "¶" },
  "Python Language": { color: "#306998", icon: "λ" },
};
const OTHER = { color: "#6e7781", icon: "■" };

/** {color, icon} of a module category (a neutral grey square for one not listed). */
export function categoryStyle(category) {
  return STYLES[category] || OTHER;
}
