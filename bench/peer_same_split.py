#!/usr/bin/python3
"""The reference method in PyTorch on facelab's own split, for a like-with-like comparison.

Loads faces_<side>.npz written by `facelab prepare` (the crops and the train/val/test split
facelab trains on), normalises each image as the reference does (per image, min-max to [-1, 1])
and runs `train()` from ../shared/bench/peer_seed.py unchanged (torch.manual_seed(0), numpy
RandomState(0) shuffles, Adam, normal(0, 0.03) weights). Prints one JSON line.

usage: /usr/bin/python3 bench/peer_same_split.py PREPARED_DIR [--side 32] [--epochs 200]
       [--batch 32] [--hidden 300] [--lr 1e-3] [--threads 2] [--peer ../shared/bench]
needs Debian's python3-torch and python3-numpy.
"""
import argparse, hashlib, json, os, sys, time
import numpy as np


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument('prepared')
    ap.add_argument('--side', type=int, default=32)
    ap.add_argument('--epochs', type=int, default=200)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--hidden', type=int, default=300)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--peer', default=os.path.join(here, '..', '..', 'shared', 'bench'))
    a = ap.parse_args()
    sys.path.insert(0, a.peer)
    import torch
    import peer_seed
    torch.set_num_threads(a.threads)
    z = np.load(os.path.join(a.prepared, 'faces_%d.npz' % a.side), allow_pickle=False)
    images, labels, part, hashes = z['images'], z['labels'], z['split'], z['hashes']
    data = {}
    fingerprint = hashlib.sha256()
    for code, name in enumerate(('train', 'val', 'test')):
        rows = np.nonzero(part == code)[0]
        fingerprint.update(('%s:%s\n' % (name, ','.join(str(h) for h in hashes[rows]))).encode())
        x = images[rows].reshape(len(rows), -1).astype(np.float32)
        lo = x.min(axis=1, keepdims=True)
        hi = x.max(axis=1, keepdims=True)
        x = 2.0 * (x - lo) / np.maximum(hi - lo, 1e-8) - 1.0
        data[name] = (torch.tensor(x), torch.tensor(labels[rows].astype(np.int64)))
    t0 = time.time()
    acc, _ = peer_seed.train(data, epochs=a.epochs, batch=a.batch, hidden=a.hidden, lr=a.lr)
    print(json.dumps({'step': 'peer-same-split', 'seconds': round(time.time() - t0, 2), 'acc': acc,
                      'sizes': {k: len(v[1]) for k, v in data.items()}, 'split_sha256': fingerprint.hexdigest(),
                      'torch': torch.__version__,
                      'config': {'side': a.side, 'epochs': a.epochs, 'batch': a.batch, 'hidden': a.hidden, 'lr': a.lr,
                                 'threads': a.threads}}))


if __name__ == '__main__':
    main()
