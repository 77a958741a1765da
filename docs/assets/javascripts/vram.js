// VRAM calculator on deployment cards: the static table shows fixed cases; this lets a reader
// set context and concurrency. The arithmetic mirrors catalog/vram.py.
(function () {
  "use strict";
  const GIB = 1024 * 1024 * 1024;

  function setUp(box) {
    if (box.dataset.mcReady) return;
    box.dataset.mcReady = "1";
    const weights = parseFloat(box.dataset.weightsGib);
    const kvPerToken = parseFloat(box.dataset.kvBytesPerToken);
    const overhead = parseFloat(box.dataset.overheadGib);
    const maxContext = parseInt(box.dataset.maxContext, 10);
    const context = box.querySelector(".mc-vram-context");
    const sequences = box.querySelector(".mc-vram-sequences");
    const out = box.querySelector(".mc-vram-total");
    function update() {
      const ctx = Math.min(Math.max(parseInt(context.value, 10) || 0, 0), maxContext);
      const seqs = Math.max(parseInt(sequences.value, 10) || 0, 0);
      const kv = (kvPerToken * ctx * seqs) / GIB;
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
