// Every page (base.html): typeset the formulas in each element with class "math". Scripts that insert
// content later import renderMath from lib/math.js themselves.
import { renderMath } from "./lib/math.js";

document.querySelectorAll(".math").forEach((el) => renderMath(el));
