# WAL frames SQLite writes per commit and per record for the ledger schema
# (crates/verdict-ledger/migrations), 20,000 records first, then 2,000 commits of
# 1, 4 or 16 records (~4 KB each, random UUIDv4 workflow ids) with automatic
# checkpoints off; "intpk": the same with `seq INTEGER PRIMARY KEY` (a rowid
# alias in SQLite, so one B-tree fewer per record). python3 wal-frames.py
import sqlite3, os, uuid, sys, glob, time, tempfile
MIG=sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../../../crates') + '/verdict-ledger/migrations/*.sql'))
def run(variant, commits=3000, group=4, prefill=20000):
    path=os.path.join(tempfile.mkdtemp(), f'{variant}.db')
    c=sqlite3.connect(path, isolation_level=None)
    c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA synchronous=OFF')
    for m in MIG:
        sql=open(m).read()
        if variant=='intpk': sql=sql.replace('seq BIGINT PRIMARY KEY,\n    decision_id','seq INTEGER PRIMARY KEY,\n    decision_id')
        c.executescript(sql)
    reasons='x'*1780; facts='y'*2100
    seq=0
    def commit(n):
        nonlocal seq
        c.execute('BEGIN'); c.execute('UPDATE ledger_head SET seq=seq WHERE id=1')
        for _ in range(n):
            seq+=1
            c.execute('INSERT INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)',(seq,str(uuid.uuid1()),str(uuid.uuid4()),1,'5cbc2a35-5c2c-5f53-97bf-75b1f1b4b247','2025-03-04T10:20:05.871Z',int(time.time()*1000),'RETRY','IMAGE_QUALITY_BLURRED',reasons,'default','1','d'*64,'s'*64,facts,'h'*64,'h'*64))
        c.execute('UPDATE ledger_head SET seq=?, hash=? WHERE id=1',(seq,'h'*64)); c.execute('COMMIT')
    for _ in range(prefill//100): commit(100)
    c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.execute('PRAGMA wal_autocheckpoint=0')
    for _ in range(commits): commit(group)
    frames=(os.path.getsize(path+'-wal')-32)/(4096+24)
    print(variant, 'group',group,'frames/commit',round(frames/commits,2),'frames/record',round(frames/commits/group,2))
for v in ['base','intpk']:
    for g in [1,4,16]:
        run(v, commits=2000, group=g)
