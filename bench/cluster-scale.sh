#!/usr/bin/env bash
# Cluster scale benchmark: bench/scale-100k.yaml (100,000 registered devices, 1,000 per round) submitted with
# `fedsim run --cluster` to 1 standalone silo and then to 3 standalone silos on this machine, all on a private
# PostgreSQL (build/local-postgres.sh). Prints, per topology, the mean wall time of a round after the first (which
# also loads the data and warms up) and the throughput in device updates per second.
#
#   bench/cluster-scale.sh [SILOS...]        default: 1 3
#
# Needs Debian's postgresql package. Builds Release into out/bench-cluster. Figures for a 2-core machine are in
# bench/README.md; on one machine the silos share its cores, so 3 silos measure the cluster's overhead, not a speed-up.
set -euo pipefail
cd "$(dirname "$0")/.."
topologies=("$@"); [ ${#topologies[@]} -gt 0 ] || topologies=(1 3)
out=out/bench-cluster
work=$(mktemp -d /tmp/fedsim-bench-cluster.XXXXXX)
chmod 755 "$work" # the database server's user (postgres, when this runs as root) must reach its folder inside
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  bash build/local-postgres.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet publish src/Silo -c Release -o "$out/silo" -v quiet -nologo >/dev/null
dotnet publish src/Scenarios -c Release -o "$out/fedsim" -v quiet -nologo >/dev/null
base=$(bash build/local-postgres.sh start "$work/pg" "${FEDSIM_BENCH_POSTGRES_PORT:-55433}")

printf '%-8s %8s %12s %16s %18s\n' silos rounds updates/round "s/round (mean)" "updates/s (mean)"
for silos in "${topologies[@]}"; do
  db="bench_${silos}_$$"
  connection="${base/Database=fedsim/Database=$db}"
  cluster="bench-$silos"
  pids=()
  for i in $(seq 1 "$silos"); do
    FEDSIM__POSTGRES="$connection" FEDSIM__CLUSTERID="$cluster" FEDSIM__SILOPORT=$((21110 + i)) FEDSIM__GATEWAYPORT=$((32000 + i)) \
    FEDSIM__HTTPPORT=0 FEDSIM__ADVERTISEDADDRESS=127.0.0.1 FEDSIM__DEVICE=cpu FEDSIM__LOGFORMAT=text \
      dotnet "$out/silo/FedSim.Silo.dll" > "$work/silo-$silos-$i.log" 2>&1 &
    pids+=($!)
    disown "$!" # killed on purpose below: no "Killed" line from the shell
  done
  for i in $(seq 1 "$silos"); do
    until grep -q "Orleans Silo started" "$work/silo-$silos-$i.log"; do
      kill -0 "${pids[$((i - 1))]}" 2>/dev/null || { tail -n 20 "$work/silo-$silos-$i.log" >&2; exit 1; }
      sleep 1
    done
  done
  dotnet "$out/fedsim/fedsim.dll" run bench/scale-100k.yaml --cluster "$connection" --cluster-id "$cluster" \
    --output "$work/results-$silos" --quiet >/dev/null
  # metrics.csv: participants and wall_seconds per round; the first round is left out (data loading, JIT).
  awk -F, -v silos="$silos" 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "participants") p = i; if ($i == "wall_seconds") w = i }; next }
       NR > 2 { n++; t += $w; u += $p }
       END { printf "%-8s %8d %12d %16.3f %18.1f\n", silos, n, u / n, t / n, u / t }' "$work/results-$silos/metrics.csv"
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  pids=()
done
