"""Small re-implementations of the three Stable Diffusion networks, written with diffusers' and
transformers' module names so that the TorchScript ONNX exporter names graph nodes the way the
real pipelines do (for example `/up_blocks.3/attentions.1/Add` and the skip concat
`/up_blocks.3/Concat_2`), without needing diffusers or transformers installed.

* UNet2DConditionModel: SD 1.5's topology (3 CrossAttnDownBlock2D + DownBlock2D, UNetMidBlock2DCrossAttn,
  UpBlock2D + 3 CrossAttnUpBlock2D, layers_per_block 2, Transformer2DModel with a conv proj_in/proj_out,
  GEGLU feed-forward), epsilon prediction, sinusoidal time embedding with flip_sin_to_cos.
* CLIPTextModel: token + position embeddings, pre-LN causal layers (quick_gelu), final LayerNorm;
  returns last_hidden_state and pooler_output (state at the first eos token).
* AutoencoderKL-like VAE: 8x downsampling, 4 latent channels; encode() returns the posterior mean.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# Set to False while exporting so attention is plain MatMul/Softmax in the graph.
USE_SDPA = hasattr(F, "scaled_dot_product_attention")


def attention(q, k, v):
    """q, k, v: [B, heads, N, d]."""
    if USE_SDPA:
        return F.scaled_dot_product_attention(q, k, v)
    w = torch.matmul(q, k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    return torch.matmul(w.softmax(dim=-1), v)


# ------------------------------------------------------------------------------------------------
# UNet (diffusers names)
# ------------------------------------------------------------------------------------------------

class Timesteps(nn.Module):
    """diffusers' get_timestep_embedding with flip_sin_to_cos=True, downscale_freq_shift=0."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, t):
        half = self.dim // 2
        exponent = -math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half
        emb = t[:, None].float() * torch.exp(exponent)[None, :]
        return torch.cat([torch.cos(emb), torch.sin(emb)], dim=-1)


class TimestepEmbedding(nn.Module):
    def __init__(self, in_dim, dim):
        super().__init__()
        self.linear_1 = nn.Linear(in_dim, dim)
        self.act = nn.SiLU()
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x):
        return self.linear_2(self.act(self.linear_1(x)))


class ResnetBlock2D(nn.Module):
    def __init__(self, in_ch, out_ch, temb_ch=None, groups=32, eps=1e-5):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_ch, eps=eps)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb_ch, out_ch) if temb_ch else None
        self.norm2 = nn.GroupNorm(groups, out_ch, eps=eps)
        self.dropout = nn.Dropout(0.0)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.nonlinearity = nn.SiLU()
        self.conv_shortcut = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else None

    def forward(self, x, temb=None):
        h = self.conv1(self.nonlinearity(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(self.nonlinearity(temb))[:, :, None, None]
        h = self.conv2(self.dropout(self.nonlinearity(self.norm2(h))))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return x + h


class Attention(nn.Module):
    def __init__(self, dim, heads, head_dim, cross_dim=None):
        super().__init__()
        inner = heads * head_dim
        self.heads = heads
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_k = nn.Linear(cross_dim or dim, inner, bias=False)
        self.to_v = nn.Linear(cross_dim or dim, inner, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(inner, dim), nn.Dropout(0.0)])

    def forward(self, x, context=None):
        context = x if context is None else context
        b = x.shape[0]
        q, k, v = self.to_q(x), self.to_k(context), self.to_v(context)
        q, k, v = (t.reshape(b, -1, self.heads, t.shape[-1] // self.heads).transpose(1, 2) for t in (q, k, v))
        o = attention(q, k, v).transpose(1, 2)
        o = o.reshape(b, -1, o.shape[-2] * o.shape[-1])
        return self.to_out[1](self.to_out[0](o))


class GEGLU(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.proj = nn.Linear(dim, inner * 2)

    def forward(self, x):
        x, gate = self.proj(x).chunk(2, dim=-1)
        return x * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4):
        super().__init__()
        self.net = nn.ModuleList([GEGLU(dim, dim * mult), nn.Dropout(0.0), nn.Linear(dim * mult, dim)])

    def forward(self, x):
        for m in self.net:
            x = m(x)
        return x


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, heads, head_dim, cross_dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, heads, head_dim)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, heads, head_dim, cross_dim)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim)

    def forward(self, x, context):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        return self.ff(self.norm3(x)) + x


class Transformer2DModel(nn.Module):
    def __init__(self, heads, channels, cross_dim, groups=32):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels, eps=1e-6)
        self.proj_in = nn.Conv2d(channels, channels, 1)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(channels, heads, channels // heads, cross_dim)])
        self.proj_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x, context):
        b, c, h, w = x.shape
        residual = x
        x = self.proj_in(self.norm(x))
        x = x.permute(0, 2, 3, 1).reshape(b, h * w, c)
        for blk in self.transformer_blocks:
            x = blk(x, context)
        x = x.reshape(b, h, w, c).permute(0, 3, 1, 2)
        x = self.proj_out(x)
        # The only Add in this module's own scope: DeepCache's cut tensor is its output.
        return x + residual


class Downsample2D(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class CrossAttnDownBlock2D(nn.Module):
    def __init__(self, in_ch, out_ch, temb, layers, heads, cross_dim, add_downsample, attn=True):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(in_ch if i == 0 else out_ch, out_ch, temb) for i in range(layers)])
        if attn:
            self.attentions = nn.ModuleList([Transformer2DModel(heads, out_ch, cross_dim) for _ in range(layers)])
        else:
            self.attentions = None
        self.downsamplers = nn.ModuleList([Downsample2D(out_ch)]) if add_downsample else None

    def forward(self, h, temb, context):
        states = ()
        for i, resnet in enumerate(self.resnets):
            h = resnet(h, temb)
            if self.attentions is not None:
                h = self.attentions[i](h, context)
            states += (h,)
        if self.downsamplers is not None:
            h = self.downsamplers[0](h)
            states += (h,)
        return h, states


class DownBlock2D(CrossAttnDownBlock2D):
    def __init__(self, in_ch, out_ch, temb, layers, add_downsample):
        super().__init__(in_ch, out_ch, temb, layers, 0, 0, add_downsample, attn=False)


class CrossAttnUpBlock2D(nn.Module):
    def __init__(self, in_ch, prev_ch, out_ch, temb, layers, heads, cross_dim, add_upsample, attn=True):
        super().__init__()
        resnets = []
        for i in range(layers):
            skip = in_ch if i == layers - 1 else out_ch
            res_in = prev_ch if i == 0 else out_ch
            resnets.append(ResnetBlock2D(res_in + skip, out_ch, temb))
        self.resnets = nn.ModuleList(resnets)
        if attn:
            self.attentions = nn.ModuleList([Transformer2DModel(heads, out_ch, cross_dim) for _ in range(layers)])
        else:
            self.attentions = None
        self.upsamplers = nn.ModuleList([Upsample2D(out_ch)]) if add_upsample else None

    def forward(self, h, res_states, temb, context):
        for i, resnet in enumerate(self.resnets):
            res = res_states[-1]
            res_states = res_states[:-1]
            # The skip concatenation lives in the up block's own scope: /up_blocks.N/Concat[_i].
            h = torch.cat([h, res], dim=1)
            h = resnet(h, temb)
            if self.attentions is not None:
                h = self.attentions[i](h, context)
        if self.upsamplers is not None:
            h = self.upsamplers[0](h)
        return h


class UpBlock2D(CrossAttnUpBlock2D):
    def __init__(self, in_ch, prev_ch, out_ch, temb, layers, add_upsample):
        super().__init__(in_ch, prev_ch, out_ch, temb, layers, 0, 0, add_upsample, attn=False)


class UNetMidBlock2DCrossAttn(nn.Module):
    def __init__(self, ch, temb, heads, cross_dim):
        super().__init__()
        self.attentions = nn.ModuleList([Transformer2DModel(heads, ch, cross_dim)])
        self.resnets = nn.ModuleList([ResnetBlock2D(ch, ch, temb), ResnetBlock2D(ch, ch, temb)])

    def forward(self, h, temb, context):
        h = self.resnets[0](h, temb)
        h = self.attentions[0](h, context)
        return self.resnets[1](h, temb)


class UNet2DConditionModel(nn.Module):
    def __init__(self, block_out_channels=(32, 64, 64, 64), layers_per_block=2, cross_attention_dim=64,
                 heads=4, in_channels=4, out_channels=4):
        super().__init__()
        ch = list(block_out_channels)
        c0, temb = ch[0], ch[0] * 4
        self.conv_in = nn.Conv2d(in_channels, c0, 3, padding=1)
        self.time_proj = Timesteps(c0)
        self.time_embedding = TimestepEmbedding(c0, temb)
        self.down_blocks = nn.ModuleList()
        out = c0
        for i, c in enumerate(ch):
            inp, out, final = out, c, i == len(ch) - 1
            if i < len(ch) - 1:
                self.down_blocks.append(CrossAttnDownBlock2D(inp, out, temb, layers_per_block, heads,
                                                             cross_attention_dim, not final))
            else:
                self.down_blocks.append(DownBlock2D(inp, out, temb, layers_per_block, not final))
        self.mid_block = UNetMidBlock2DCrossAttn(ch[-1], temb, heads, cross_attention_dim)
        rev = ch[::-1]
        self.up_blocks = nn.ModuleList()
        out = rev[0]
        for i in range(len(rev)):
            prev, out, inp = out, rev[i], rev[min(i + 1, len(rev) - 1)]
            final = i == len(rev) - 1
            if i == 0:
                self.up_blocks.append(UpBlock2D(inp, prev, out, temb, layers_per_block + 1, not final))
            else:
                self.up_blocks.append(CrossAttnUpBlock2D(inp, prev, out, temb, layers_per_block + 1, heads,
                                                         cross_attention_dim, not final))
        self.conv_norm_out = nn.GroupNorm(32, c0, eps=1e-5)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(c0, out_channels, 3, padding=1)

    def embed_time(self, sample, timestep):
        t = timestep.expand(sample.shape[0])
        return self.time_embedding(self.time_proj(t).to(sample.dtype))

    def head(self, h):
        return self.conv_out(self.conv_act(self.conv_norm_out(h)))

    def forward(self, sample, timestep, encoder_hidden_states, return_cache=False):
        temb = self.embed_time(sample, timestep)
        h = self.conv_in(sample)
        states = (h,)
        for blk in self.down_blocks:
            h, s = blk(h, temb, encoder_hidden_states)
            states += s
        h = self.mid_block(h, temb, encoder_hidden_states)
        cache = None
        for bi, blk in enumerate(self.up_blocks):
            n = len(blk.resnets)
            res, states = states[-n:], states[:-n]
            if bi == len(self.up_blocks) - 1 and return_cache:
                h, cache = self._last_up_block(blk, h, res, temb, encoder_hidden_states)
            else:
                h = blk(h, res, temb, encoder_hidden_states)
        out = self.head(h)
        return (out, cache) if return_cache else out

    @staticmethod
    def _last_up_block(blk, h, res, temb, context):
        """Same computation as blk(...) but also returns the output of attentions.1 (DeepCache's cut)."""
        cache = None
        for i, resnet in enumerate(blk.resnets):
            h = resnet(torch.cat([h, res[-1 - i]], dim=1), temb)
            h = blk.attentions[i](h, context)
            if i == 1:
                cache = h
        return h, cache

    def forward_partial(self, sample, timestep, encoder_hidden_states, cache):
        """DeepCache (branch 0) shallow step: reuses up_blocks.3.attentions.1's output from the last
        full step and recomputes only conv_in -> concat -> up_blocks.3.resnets.2/attentions.2 -> head."""
        temb = self.embed_time(sample, timestep)
        h0 = self.conv_in(sample)
        blk = self.up_blocks[-1]
        h = blk.resnets[2](torch.cat([cache, h0], dim=1), temb)
        h = blk.attentions[2](h, encoder_hidden_states)
        return self.head(h)


# ------------------------------------------------------------------------------------------------
# CLIP text encoder (transformers names)
# ------------------------------------------------------------------------------------------------

class CLIPAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, x, mask):
        b, n, d = x.shape
        q, k, v = (p(x).reshape(b, n, self.heads, d // self.heads).transpose(1, 2)
                   for p in (self.q_proj, self.k_proj, self.v_proj))
        w = torch.matmul(q, k.transpose(-1, -2)) * ((d // self.heads) ** -0.5) + mask
        o = torch.matmul(w.softmax(dim=-1), v).transpose(1, 2).reshape(b, n, d)
        return self.out_proj(o)


class CLIPMLP(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.fc1 = nn.Linear(dim, inner)
        self.fc2 = nn.Linear(inner, dim)

    def forward(self, x):
        x = self.fc1(x)
        return self.fc2(x * torch.sigmoid(1.702 * x))  # quick_gelu


class CLIPEncoderLayer(nn.Module):
    def __init__(self, dim, heads, inner):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(dim)
        self.self_attn = CLIPAttention(dim, heads)
        self.layer_norm2 = nn.LayerNorm(dim)
        self.mlp = CLIPMLP(dim, inner)

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class CLIPEmbeddings(nn.Module):
    def __init__(self, vocab, dim, max_pos):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, dim)
        self.position_embedding = nn.Embedding(max_pos, dim)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device)
        return self.token_embedding(ids) + self.position_embedding(pos)[None]


class CLIPEncoder(nn.Module):
    def __init__(self, dim, heads, inner, layers):
        super().__init__()
        self.layers = nn.ModuleList([CLIPEncoderLayer(dim, heads, inner) for _ in range(layers)])


class CLIPTextTransformer(nn.Module):
    def __init__(self, vocab, dim, heads, inner, layers, max_pos, eos_id):
        super().__init__()
        self.eos_id = eos_id
        self.embeddings = CLIPEmbeddings(vocab, dim, max_pos)
        self.encoder = CLIPEncoder(dim, heads, inner, layers)
        self.final_layer_norm = nn.LayerNorm(dim)

    def forward(self, input_ids):
        ids = input_ids.long()
        x = self.embeddings(ids)
        n = ids.shape[1]
        i = torch.arange(n, device=ids.device)
        # Causal mask: position q may attend to keys k <= q (a large negative instead of -inf avoids NaN).
        mask = (i[None, :] > i[:, None]).to(x.dtype) * -1e9
        for layer in self.encoder.layers:
            x = layer(x, mask)
        x = self.final_layer_norm(x)
        # pooler_output: the state at the first eos token (transformers' rule for eos_token_id != 2).
        first_eos = (input_ids.to(torch.int32) == self.eos_id).to(torch.int32).argmax(dim=-1)
        pooled = x[torch.arange(x.shape[0], device=x.device), first_eos]
        return x, pooled


class CLIPTextModel(nn.Module):
    def __init__(self, vocab_size, hidden_size=64, num_attention_heads=4, intermediate_size=256,
                 num_hidden_layers=3, max_position_embeddings=77, eos_token_id=None):
        super().__init__()
        self.text_model = CLIPTextTransformer(vocab_size, hidden_size, num_attention_heads, intermediate_size,
                                              num_hidden_layers, max_position_embeddings, eos_token_id)

    def forward(self, input_ids):
        return self.text_model(input_ids)


# ------------------------------------------------------------------------------------------------
# VAE (AutoencoderKL-like)
# ------------------------------------------------------------------------------------------------

class Encoder(nn.Module):
    def __init__(self, ch=(32, 32, 64, 64), latent=4):
        super().__init__()
        self.conv_in = nn.Conv2d(3, ch[0], 3, padding=1)
        blocks, prev = [], ch[0]
        for i, c in enumerate(ch):
            layers = [ResnetBlock2D(prev, c)]
            if i < len(ch) - 1:
                layers.append(Downsample2D(c))
            blocks.append(nn.Sequential(*layers))
            prev = c
        self.down_blocks = nn.ModuleList(blocks)
        self.mid_block = ResnetBlock2D(prev, prev)
        self.conv_norm_out = nn.GroupNorm(32, prev, eps=1e-6)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(prev, 2 * latent, 3, padding=1)

    def forward(self, x):
        h = self.conv_in(x)
        for b in self.down_blocks:
            h = b(h)
        h = self.mid_block(h)
        return self.conv_out(self.conv_act(self.conv_norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, ch=(32, 32, 64, 64), latent=4):
        super().__init__()
        rev = list(ch)[::-1]
        self.conv_in = nn.Conv2d(latent, rev[0], 3, padding=1)
        self.mid_block = ResnetBlock2D(rev[0], rev[0])
        blocks, prev = [], rev[0]
        for i, c in enumerate(rev):
            layers = [ResnetBlock2D(prev, c)]
            if i < len(rev) - 1:
                layers.append(Upsample2D(c))
            blocks.append(nn.Sequential(*layers))
            prev = c
        self.up_blocks = nn.ModuleList(blocks)
        self.conv_norm_out = nn.GroupNorm(32, prev, eps=1e-6)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(prev, 3, 3, padding=1)

    def forward(self, z):
        h = self.mid_block(self.conv_in(z))
        for b in self.up_blocks:
            h = b(h)
        return self.conv_out(self.conv_act(self.conv_norm_out(h)))


class AutoencoderKL(nn.Module):
    def __init__(self, block_out_channels=(32, 32, 64, 64), latent_channels=4):
        super().__init__()
        self.encoder = Encoder(block_out_channels, latent_channels)
        self.decoder = Decoder(block_out_channels, latent_channels)
        self.quant_conv = nn.Conv2d(2 * latent_channels, 2 * latent_channels, 1)
        self.post_quant_conv = nn.Conv2d(latent_channels, latent_channels, 1)
        self.latent_channels = latent_channels

    def moments(self, x):
        m = self.quant_conv(self.encoder(x))
        return m[:, : self.latent_channels], m[:, self.latent_channels:].clamp(-30.0, 20.0)

    def encode(self, x):
        """x in [-1, 1] -> posterior mean (unscaled)."""
        return self.moments(x)[0]

    def decode(self, z):
        """z = unscaled latent (scaled latent / scaling_factor) -> image in about [-1, 1], unclamped."""
        return self.decoder(self.post_quant_conv(z))


class VaeEncoderExport(nn.Module):
    """ONNX root for vae_encoder: sample -> latent_sample (the mean)."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, sample):
        return self.vae.encode(sample)


class VaeDecoderExport(nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent_sample):
        return self.vae.decode(latent_sample)
