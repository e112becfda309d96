// Python source as highlighted tokens: a small scanner, enough to colour a script in the code
// editor (keywords, strings, comments, numbers, builtins, decorators, defined names). Pure
// functions, no DOM: the editor turns tokens into spans.

const KEYWORDS = new Set(("False None True and as assert async await break class continue def del "
  + "elif else except finally for from global if import in is lambda nonlocal not or pass raise "
  + "return try while with yield match case").split(" "));
const BUILTINS = new Set(("abs all any bool dict enumerate filter float format getattr hasattr int "
  + "isinstance len list map max min object open print range repr reversed round set sorted str "
  + "sum super tuple type zip self cls Exception ValueError TypeError KeyError").split(" "));

// Tried in order at each position; the first that matches at that position wins.
const RULES = [
  ["comment", /#[^\n]*/y],
  ["string", /(?:[rRbBuUfF]{1,2})?(?:"""[\s\S]*?(?:"""|$(?![\s\S]))|'''[\s\S]*?(?:'''|$(?![\s\S])))/y],
  ["string", /(?:[rRbBuUfF]{1,2})?(?:"(?:[^"\\\n]|\\[\s\S])*(?:"|(?=\n)|$)|'(?:[^'\\\n]|\\[\s\S])*(?:'|(?=\n)|$))/y],
  ["decorator", /@[A-Za-z_][\w.]*/y],
  ["number", /(?:0[xX][\da-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?j?)(?![\w])/y],
  ["name", /[A-Za-z_]\w*/y],
];

/** [{type, text}] covering `source` exactly; type is null for plain text. */
export function tokenize(source) {
  const tokens = [];
  let plain = "";
  let defining = false;  // the name after def or class is the thing defined
  const push = (type, text) => {
    if (type === null) { plain += text; return; }
    if (plain) tokens.push({ type: null, text: plain });
    plain = "";
    tokens.push({ type, text });
  };
  let at = 0;
  while (at < source.length) {
    const rule = RULES.find(([, pattern]) => { pattern.lastIndex = at; return pattern.test(source); });
    if (!rule) {
      push(null, source[at]);
      at += 1;
      continue;
    }
    const [kind, pattern] = rule;
    const text = source.slice(at, pattern.lastIndex);
    at = pattern.lastIndex;
    if (kind !== "name") {
      push(kind, text);
      continue;
    }
    const type = defining ? "title" : KEYWORDS.has(text) ? "keyword" : BUILTINS.has(text) ? "builtin" : null;
    defining = text === "def" || text === "class";
    push(type, text);
  }
  if (plain) tokens.push({ type: null, text: plain });
  return tokens;
}
