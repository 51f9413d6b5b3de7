// Listing form: show only the fee fields the chosen payment method uses. Without JS every field shows
// and the server checks the combination anyway.
(function () {
  "use strict";
  var method = document.querySelector('[data-testid="listing-form"] select[name="payment_method"]');
  if (!method) { return; }
  var blocks = document.querySelectorAll("[data-show-for]");
  function update() {
    blocks.forEach(function (block) {
      var wanted = block.getAttribute("data-show-for").split(" ");
      var show = !method.value || wanted.indexOf(method.value) !== -1;
      var invalid = block.querySelector(".is-invalid");
      block.hidden = !show && !invalid;
    });
  }
  method.addEventListener("change", update);
  update();
})();
