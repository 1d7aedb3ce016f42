#!/usr/bin/python3
"""Reference vectors for the sensors service's audio features, from an independent implementation.

Implements torchaudio's MelSpectrogram / MFCC definitions with numpy and scipy in float64 (np.pad reflect,
scipy's periodic Hann window, np.fft.rfft, scipy.fft.dct with norm='ortho'), runs them on fixed signals,
and writes the inputs (float32, little-endian .bin) and the expected outputs (JSON) to the C# tests' data.

Regenerate (Debian: apt-get install python3-numpy python3-scipy):
    /usr/bin/python3 tests/reference/dsp/make_reference.py tests/ThermalPlant.Sensors.Tests/TestData/dsp
"""
import json
import sys
from pathlib import Path

import numpy as np
import scipy.fft
import scipy.signal


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + f / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def mel_filter_bank(n_freqs, f_min, f_max, n_mels, sample_rate):
    """torchaudio.functional.melscale_fbanks(norm=None, mel_scale='htk'), shape (n_freqs, n_mels)."""
    all_freqs = np.linspace(0, sample_rate // 2, n_freqs)
    m_pts = np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2)
    f_pts = mel_to_hz(m_pts)
    f_diff = np.diff(f_pts)
    slopes = f_pts[np.newaxis, :] - all_freqs[:, np.newaxis]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return np.maximum(0.0, np.minimum(down, up))


def power_spectrogram(x, n_fft, hop):
    """torchaudio.transforms.Spectrogram(center=True, pad_mode='reflect', power=2), shape (freq, time)."""
    padded = np.pad(x, n_fft // 2, mode="reflect")
    window = scipy.signal.get_window("hann", n_fft, fftbins=True)
    frames = 1 + len(x) // hop
    out = np.empty((n_fft // 2 + 1, frames))
    for t in range(frames):
        out[:, t] = np.abs(np.fft.rfft(padded[t * hop:t * hop + n_fft] * window)) ** 2
    return out


def to_db(power, top_db):
    """torchaudio AmplitudeToDB(stype='power', top_db): floor 1e-10, ref 1, clamp at the global max - top_db."""
    db = 10.0 * np.log10(np.maximum(power, 1e-10))
    return np.maximum(db, db.max() - top_db)


def features(x, p):
    power = power_spectrogram(x, p["n_fft"], p["hop_length"])
    n_freqs = p["n_fft"] // 2 + 1
    nyquist = p["sample_rate"] / 2
    spec_fb = mel_filter_bank(n_freqs, p["spectrum_f_min"], p.get("spectrum_f_max") or nyquist, p["spectrum_bands"], p["sample_rate"])
    mfcc_fb = mel_filter_bank(n_freqs, p["mfcc_f_min"], p.get("mfcc_f_max") or nyquist, p["mfcc_mel_bands"], p["sample_rate"])
    spectrum = to_db(spec_fb.T @ power, p["top_db"]).mean(axis=1)
    mel_db = to_db(mfcc_fb.T @ power, p["top_db"])
    mfcc = scipy.fft.dct(mel_db, type=2, norm="ortho", axis=0)[: p["mfcc_count"]].mean(axis=1)
    return spectrum, mfcc


DEFAULT = dict(sample_rate=44100, n_fft=8192, hop_length=1024, spectrum_bands=50, spectrum_f_min=0.0,
               mfcc_count=50, mfcc_mel_bands=128, mfcc_f_min=1.0, mfcc_f_max=22050.0, top_db=80.0)
SMALL = dict(sample_rate=16000, n_fft=512, hop_length=128, spectrum_bands=40, spectrum_f_min=0.0,
             mfcc_count=13, mfcc_mel_bands=40, mfcc_f_min=20.0, mfcc_f_max=8000.0, top_db=80.0)


def signals():
    sr = DEFAULT["sample_rate"]
    t = np.arange(sr) / sr
    rng = np.random.default_rng(20261124)
    yield "sine_1khz", DEFAULT, 0.5 * np.sin(2 * np.pi * 1000 * t)
    yield "chirp_100_10k", DEFAULT, 0.5 * scipy.signal.chirp(t, f0=100, t1=1.0, f1=10000, method="linear")
    yield "white_noise", DEFAULT, rng.uniform(-0.5, 0.5, sr)
    yield "silence", DEFAULT, np.zeros(sr)
    small_t = np.arange(SMALL["sample_rate"]) / SMALL["sample_rate"]
    yield "two_tones_16k", SMALL, 0.3 * np.sin(2 * np.pi * 440 * small_t) + 0.2 * np.sin(2 * np.pi * 3000 * small_t)


def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, params, x in signals():
        x32 = x.astype("<f4")
        x32.tofile(out / f"{name}.f32")
        spectrum, mfcc = features(x32.astype(np.float64), params)
        doc = {"signal": name, "parameters": params, "samples": len(x32),
               "spectrum_db": [float(v) for v in spectrum], "mfcc": [float(v) for v in mfcc]}
        (out / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")
        print(f"{name}: {len(x32)} samples, spectrum[0]={spectrum[0]:.6f}, mfcc[0]={mfcc[0]:.6f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/ThermalPlant.Sensors.Tests/TestData/dsp")
