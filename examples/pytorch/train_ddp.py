"""Train the main job's MLP with PyTorch DistributedDataParallel, ship it with kiln.

kiln trains on one machine. Past that, train the same architecture in PyTorch across
processes or machines and load its state_dict with `kiln::io::load`. This script is that path
on one CPU machine with two processes and the gloo backend:

    pip install torch safetensors numpy
    torchrun --nproc_per_node=2 examples/pytorch/train_ddp.py            # about a minute on 2 cores
    torchrun --nproc_per_node=2 examples/pytorch/train_ddp.py --epochs 5 --out /tmp/w.safetensors

Across machines it is the same script with torchrun's `--nnodes`, `--node_rank` and
`--rdzv_endpoint`. It writes `examples/pytorch/mnist_ddp.safetensors` (the committed output
that `tests/pytorch_ddp.rs` loads and evaluates) and prints the test accuracy.

The model is kiln's
    Input(784), Dense(64, relu), Dense(64, relu), Dense(10, softmax)
as `nn.Sequential(Linear, ReLU, Linear, ReLU, Linear)`: kiln counts a fused activation as a
module of the Sequential, so the tensors are `0.*`, `2.*`, `4.*` and the softmax (index 5) has
none. Dense(10, softmax) with sparse categorical cross-entropy is torch's logits with
`CrossEntropyLoss`. Pixels are scaled to [0, 1] (p / 255), as `kiln::data::Mnist` does.
"""

import argparse
import gzip
import os
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from safetensors.torch import save_file
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

REPO = Path(__file__).resolve().parents[2]


def idx(path):
    """An IDX file (gzip) as a numpy array: magic, dims, then unsigned bytes."""
    data = gzip.decompress(path.read_bytes())
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist(folder, split):
    prefix = "train" if split == "train" else "t10k"
    x = idx(folder / f"{prefix}-images-idx3-ubyte.gz").reshape(-1, 784)
    y = idx(folder / f"{prefix}-labels-idx1-ubyte.gz")
    return torch.from_numpy(x.astype(np.float32) / 255.0), torch.from_numpy(y.astype(np.int64))


def mlp():
    return nn.Sequential(
        nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32, help="per process")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=REPO / "data/mnist")
    parser.add_argument("--out", type=Path, default=REPO / "examples/pytorch/mnist_ddp.safetensors")
    args = parser.parse_args()

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(1)  # one core per process
    torch.manual_seed(args.seed)  # the same initial weights on every rank (DDP also broadcasts)

    x, y = mnist(args.data, "train")
    sampler = DistributedSampler(TensorDataset(x, y), num_replicas=world, rank=rank,
                                 shuffle=True, seed=args.seed)
    loader = DataLoader(TensorDataset(x, y), batch_size=args.batch_size, sampler=sampler)
    model = DistributedDataParallel(mlp())
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        total, batches = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()  # DDP averages the gradients over the processes here
            optimizer.step()
            total, batches = total + loss.item(), batches + 1
        mean = torch.tensor([total / batches])
        dist.all_reduce(mean)
        if rank == 0:
            print(f"epoch {epoch + 1}/{args.epochs}: loss {mean.item() / world:.4f} "
                  f"({world} processes x {batches} batches of {args.batch_size})")

    if rank == 0:
        net = model.module.eval()
        tx, ty = mnist(args.data, "test")
        with torch.no_grad():
            accuracy = (net(tx).argmax(1) == ty).float().mean().item()
        state = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
        save_file(state, str(args.out), metadata={
            "source": "examples/pytorch/train_ddp.py",
            "training": f"DDP gloo, {world} processes, {args.epochs} epochs, batch {args.batch_size} "
                        f"per process, Adam {args.lr}, seed {args.seed}",
            "test_accuracy": f"{accuracy:.4f}",
        })
        print(f"test accuracy {accuracy:.4f}; wrote {args.out} ({os.path.getsize(args.out)} bytes)")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
