# callgrind-split.awk - split the instructions of a callgrind profile by part.
#
# Input: a callgrind out file written with --compress-strings=no
# --compress-pos=no (plain names and positions). Output, one line:
#   total=N engine=N sim=N app=N
# A function belongs to the part of the source file it was compiled from
# (kcp/ikcp.c engine, tests/linksim.c simulator, bench/ the application); a
# library function (memcpy, malloc, ...) is charged to the part that called
# it, with everything it called in turn, so the parts add up to the total.

function part(f) {
  if (f ~ /kcp\/ikcp\.c$/) return "engine"
  if (f ~ /tests\/linksim\.c$/) return "sim"
  if (f ~ /bench\/[^\/]*\.c$/) return "app"
  return ""
}

/^fl=/ { fl = substr($0, 4); next }
/^fn=/ {
  fn = substr($0, 4)
  if (!(fn in file)) file[fn] = fl
  next
}
/^cfn=/ { cfn = substr($0, 5); next }
/^calls=/ { incall = 1; next }
/^(summary|totals):/ { total = $2; next }
/^[0-9+*-]/ {
  if (incall) {
    call[fn SUBSEP cfn] += $2
    incall = 0
  } else {
    self[fn] += $2
  }
  next
}

END {
  for (f in self) {
    p = part(file[f])
    if (p != "") cost[p] += self[f]
  }
  for (k in call) {
    split(k, fc, SUBSEP)
    p = part(file[fc[1]])
    if (p != "" && part(file[fc[2]]) == "") cost[p] += call[k]
  }
  printf "total=%d engine=%d sim=%d app=%d\n", total, cost["engine"], cost["sim"], cost["app"]
}
