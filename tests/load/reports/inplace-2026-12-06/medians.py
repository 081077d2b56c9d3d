"""Medians of a pinned A/B: python3 medians.py RUNS.txt BEFORE AFTER

For each call, the median server CPU per decision and decisions/s of each
build over the rounds, their ratio, and in how many rounds AFTER was lower.
"""
import re,sys,statistics,collections
d=collections.defaultdict(dict)
for l in open(sys.argv[1]):
    m=dict(re.findall(r'(\w+)=(\S+)',l))
    if 'round' not in m: continue
    d[(m['call'],m['build'])][m['round']]=(float(m['server_us_per_decision']),float(m['decisions_per_s']))
builds=sys.argv[2:]
calls=sorted({c for c,b in d})
for c in calls:
    a,b=d[(c,builds[0])],d[(c,builds[1])]
    rs=sorted(set(a)&set(b))
    lower=sum(b[r][0]<a[r][0] for r in rs)
    med=lambda x,i: statistics.median(v[i] for v in x.values())
    print(f"{c:16} {builds[0]} {med(a,0):7.2f} us ({med(a,1):8.0f}/s)  {builds[1]} {med(b,0):7.2f} us ({med(b,1):8.0f}/s)  ratio {med(b,0)/med(a,0):.3f} lower {lower}/{len(rs)}")
