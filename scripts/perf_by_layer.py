#!/usr/bin/env python3
"""Where a server run's time goes per layer: the samples of `perf record -F 499 -g` of one `hepex infer`, each
put under the first known caller on its stack (key switching, products, rescale, input decoding, ...), per
layer window (the layers' seconds from the run's report, counted back from the worker thread's last sample).
    perf record -F 499 -g -o perf.data hepex infer ... --report r.json
    python3 scripts/perf_by_layer.py perf.data 2.60,1.29,0.70,1.03      (the report's layers[].seconds)
Prints a Markdown table of shares per layer (docs/RESULTS.md, issue 9 part 11)."""
import collections
import re
import subprocess
import sys

data, layers = sys.argv[1], [float(x) for x in sys.argv[2].split(',')]
out = subprocess.run(['perf', 'script', '-i', data, '-F', 'tid,time,ip,sym'], capture_output=True, text=True).stdout
samples = []
cur = None
for line in out.splitlines():
    if not line.strip():
        if cur: samples.append(cur); cur = None
        continue
    m = re.match(r'\s*(\d+)\s+([\d.]+):\s*$', line)
    if m:
        if cur: samples.append(cur)
        cur = [int(m.group(1)), float(m.group(2)), []]
        continue
    m = re.match(r'\s*(\d+)\s+([\d.]+):\s+([0-9a-f]+)\s+(.*)$', line)
    if m and not line.startswith('\t'):
        if cur: samples.append(cur)
        cur = [int(m.group(1)), float(m.group(2)), [(m.group(3), m.group(4))]]
        continue
    m = re.match(r'\s+([0-9a-f]+)\s+(.*)$', line)
    if m and cur is not None: cur[2].append((m.group(1), m.group(2)))
if cur: samples.append(cur)
cats = [('input decode', r'CiphertextBatchParser|ObjectReader|unpack_bits|expand_uniform|sample_uniform|check_poly_residues|CiphertextTiles'),
        ('key switching: ModDown', r'mod_down'),
        ('key switching: decomposition, inner products', r'key_switch_sum|switch_key|inner_product_limb|decompose_for_key_switch|rotate_many|rotate_sum|relinearize|permute'),
        ('rescale', r'rescale'),
        ('products (fused)', r'multiply_plain_sums|dot_product|multiply_accumulate|product_sums'),
        ('square (tensor)', r'multiply_tensor|::square'),
        ('adds', r'poly::add|add_inplace|add_plain|for_each_limb<hepex::ckks::poly::add'),
        ('mask / const products', r'multiply_plain|multiply_const')]
def cat(frames):
    for ip, sym in frames:
        for name, pat in cats:
            if re.search(pat, sym): return name
    if frames and frames[0][0].startswith('ffffffff'): return 'kernel (page faults, zeroing)'
    if frames and re.search(r'ntt|Ntt', frames[0][1]): return 'NTT, caller unknown'
    if frames and re.search(r'mem(set|move|cpy)|malloc|free|_int_', frames[0][1]): return 'memset/memcpy/malloc'
    return 'other'
# The compute window ends with the OpenMP worker's last sample; the layers' boundaries are counted back from it.
main_tid = collections.Counter(s[0] for s in samples).most_common(1)[0][0]
end = max((t for tid, t, _ in samples if tid != main_tid), default=max(t for _, t, _ in samples))
bounds = [end]
for s in reversed(layers): bounds.insert(0, bounds[0] - s)
res = [collections.Counter() for _ in layers]
for tid, t, fr in samples:
    for l in range(len(layers)):
        if bounds[l] <= t < bounds[l + 1]: res[l][cat(fr)] += 1
names = [c for c, _ in cats] + ['NTT, caller unknown', 'kernel (page faults, zeroing)', 'memset/memcpy/malloc', 'other']
print('| where | ' + ' | '.join(f'layer {l}' for l in range(len(layers))) + ' |')
print('|---|' + '---:|' * len(layers))
tot = [sum(r.values()) for r in res]
for n in names:
    print(f'| {n} | ' + ' | '.join(f'{100*r[n]/max(1,t):.0f}%' for r, t in zip(res, tot)) + ' |')
print('| samples (2 threads, 499 Hz) | ' + ' | '.join(str(t) for t in tot) + ' |')
print('| busy share of 2 threads | ' + ' | '.join(f'{100*t/(499*2*s):.0f}%' for t, s in zip(tot, layers)) + ' |')
