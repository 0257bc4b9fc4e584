;; The Wasm module the tests compile (with the `wat` crate) into
;; module/math.wasm and service-worker/math.wasm.
(module
  (import "host" "report" (func $report (param i32)))
  (memory (export "memory") 1 4)
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)
  ;; Calls back into JS with a * 2.
  (func (export "double_and_report") (param i32)
    local.get 0 i32.const 2 i32.mul call $report)
  ;; Sums `len` bytes of memory from `ptr`: JS writes them through a view.
  (func (export "sum") (param $ptr i32) (param $len i32) (result i32)
    (local $total i32)
    (block $done
      (loop $next
        local.get $len i32.eqz br_if $done
        local.get $total local.get $ptr i32.load8_u i32.add local.set $total
        local.get $ptr i32.const 1 i32.add local.set $ptr
        local.get $len i32.const 1 i32.sub local.set $len
        br $next))
    local.get $total)
  (func (export "grow") (param i32) (result i32)
    local.get 0 memory.grow)
  (func (export "crash") unreachable)
)
