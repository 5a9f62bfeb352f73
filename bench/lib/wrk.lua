-- bench/lib/wrk.lua: wrk's side of bench/compare.
-- With WRK_PATHS naming a file of paths, requests walk those paths in turn (built once,
-- so the per-request cost is one table lookup); without it wrk keeps its static request.
-- done() prints one machine-readable line, like ferry-bench's JSON line.
local pathsFile = os.getenv("WRK_PATHS")
if pathsFile and pathsFile ~= "" then
    local paths = {}
    for line in io.lines(pathsFile) do
        if line ~= "" then paths[#paths + 1] = line end
    end
    local requests = {}
    local next = 0
    init = function(args)
        for i, path in ipairs(paths) do
            requests[i] = wrk.format("GET", "/" .. path)
        end
    end
    request = function()
        next = next % #requests + 1
        return requests[next]
    end
end

done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        '{"tool":"wrk","requests":%d,"seconds":%.4f,"bytes":%d,"errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
        summary.requests, summary.duration / 1e6, summary.bytes,
        e.connect + e.read + e.write + e.status + e.timeout,
        latency:percentile(50), latency:percentile(99), latency.max))
end
