"""The BERT layer of the op-for-op PyTorch peer (bench/train_step_peer.py): Hugging Face's
BertLayer written out op for op (eager attention, post-LN), with the additive padding mask transformers uses."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

FMIN = torch.finfo(torch.float32).min


def additive_mask(mask):
    """[B, S] 1/0 attention mask -> [B, 1, 1, S]: 0 for tokens, finfo(float32).min for padding."""
    return ((1.0 - mask.float()) * FMIN)[:, None, None, :]


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, intermediate, dropout=0.1):
        super().__init__()
        self.hidden, self.heads = hidden, heads
        self.query, self.key, self.value, self.attn_out = (nn.Linear(hidden, hidden) for _ in range(4))
        self.attn_LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, intermediate)
        self.output = nn.Linear(intermediate, hidden)
        self.out_LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask):
        b, s, _ = x.shape
        d = self.hidden // self.heads
        split = lambda t: t.view(b, s, self.heads, d).permute(0, 2, 1, 3)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        probs = self.drop(torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + mask, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, s, self.hidden)
        a = self.attn_LayerNorm(self.drop(self.attn_out(ctx)) + x)
        return self.out_LayerNorm(self.drop(self.output(F.gelu(self.intermediate(a)))) + a)
