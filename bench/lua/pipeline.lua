-- wrk's pipelining example, with the depth as an argument:
--   wrk -t1 -c50 -d10s -s bench/lua/pipeline.lua http://127.0.0.1:PORT/ -- 16
-- Each write sends `depth` GET requests back to back; wrk counts every response.

init = function(args)
   local depth = tonumber(args[1]) or 1
   local r = {}
   for i = 1, depth do
      r[i] = wrk.format(nil, "/")
   end
   req = table.concat(r)
end

request = function()
   return req
end
