// VRAM calculator on deployment cards: the static table shows fixed cases; this lets a reader
// set context and concurrency. The arithmetic mirrors catalog/vram.py.
//
// A value it cannot use (empty, not a whole number, below 1, above the model's context or 4096 sequences)
// is refused with a message next to the inputs, and no total is shown: never a silently capped figure.
(function () {
  "use strict";
  const GIB = 1024 * 1024 * 1024;

  /** The input's whole-number value within its min and max, or null with the reason it is not. */
  function read(input, name, limitNote) {
    const min = parseInt(input.min, 10) || 1;
    const max = parseInt(input.max, 10);
    const raw = input.value.trim();
    const value = Number(raw);
    const range = `from ${min.toLocaleString("en")} to ${max.toLocaleString("en")}${limitNote}`;
    let problem = null;
    if (raw === "" && input.validity.badInput) problem = `${name} is not a number; enter a whole number ${range}.`;
    else if (raw === "") problem = `${name} is empty; enter a whole number ${range}.`;
    else if (!Number.isInteger(value)) problem = `${name} must be a whole number ${range}.`;
    else if (value < min || value > max) problem = `${name} ${value.toLocaleString("en")} is out of range; enter a whole number ${range}.`;
    input.setAttribute("aria-invalid", problem ? "true" : "false");
    return { value: problem ? null : value, problem };
  }

  function setUp(box) {
    if (box.dataset.mcReady) return;
    box.dataset.mcReady = "1";
    const weights = parseFloat(box.dataset.weightsGib);
    const kvPerToken = parseFloat(box.dataset.kvBytesPerToken);
    const overhead = parseFloat(box.dataset.overheadGib);
    const context = box.querySelector(".mc-vram-context");
    const sequences = box.querySelector(".mc-vram-sequences");
    const out = box.querySelector(".mc-vram-total");
    let error = box.querySelector(".mc-vram-error");
    if (!error) {
      error = document.createElement("p");
      error.className = "mc-vram-error";
      error.setAttribute("role", "alert");
      box.appendChild(error);
    }
    function update() {
      const ctx = read(context, "Context", " tokens (the model's limit)");
      const seqs = read(sequences, "Concurrent sequences", "");
      const problems = [ctx.problem, seqs.problem].filter(Boolean);
      error.textContent = problems.join(" ");
      error.hidden = !problems.length;
      if (problems.length) {
        out.textContent = "No total: fix the value above.";
        return;
      }
      const kv = (kvPerToken * ctx.value * seqs.value) / GIB;
      const total = weights + kv + overhead;
      out.textContent = `${total.toFixed(1)} GiB (weights ${weights.toFixed(1)} + KV cache ${kv.toFixed(1)} + overhead ${overhead.toFixed(1)})`;
    }
    context.addEventListener("input", update);
    sequences.addEventListener("input", update);
    box.hidden = false;
    update();
  }

  function init() {
    document.querySelectorAll(".mc-vram").forEach(setUp);
  }

  window.mcOnEveryPage(() => init());
})();
