// Peer benchmark: RTNeural (https://github.com/jatinchowdhury18/RTNeural),
// compile-time API (ModelT<...>) and run-time API (Model<T> from the JSON
// parser), on the workloads W1, W2i and W4i of the project's WORKLOADS.md and the
// audio-streaming workloads W5a-W5g (README.md, "Speed").
//
// Copied unchanged (apart from these comments) from the project's shared peer benchmarks
// (peers/rtneural/bench_rtneural.cpp), so that bench/rtneural/run.sh needs nothing outside
// this repository. RTNeural (BSD-3-Clause) is by Jatin Chowdhury and contributors.
//
// It only *uses* RTNeural's public headers, which build.sh takes from
// $RTNEURAL_DIR (a fetched copy of RTNeural's source, never shipped here).
//
// One binary per backend: build.sh compiles this file with
//   -DRTNEURAL_USE_EIGEN=1 (RTNeural's vendored Eigen) or neither (STL backend),
// and -DBENCH_BACKEND="..." naming the variant in the RESULT lines.
//
// Weights are random, exported to the same Keras-style JSON that RTNeural's
// python/model_utils.py writes, and loaded with RTNeural's own loaders
// (ModelT::parseJson and json_parser::parseJson), so the weight-loading path
// is exercised too. Every model is checked against a plain double-precision
// reference written here before it is timed.
//
// Timing method = the project's WORKLOADS.md (as kiln's `workloads` example): warm up for
// BENCH_WARMUP_MS (500), calibrate the calls that fill BENCH_REP_MS (300),
// time BENCH_REPS (7) repetitions, report the median per-call time.
// BENCH_ONLY=W1,W4i limits the workloads. Run pinned: taskset -c 1 ./bench_x
// For W5 one call is one pass over a 48,000-sample stream (forward() per
// sample, state kept), so the per-call time / 48,000 is the ns_per_sample.
// BENCH_DUMP_DIR=dir writes each W5 network's weights (safetensors, Keras
// names and layouts, as kiln::io::load reads them) and its input stream,
// RTNeural's outputs and the f64 reference outputs, for a cross-check by other
// implementations (kiln's own W5 benchmark); BENCH_DUMP_ONLY=1 then skips the timing.
//
// Heap allocations during forward() are counted by interposing malloc & co.
// (glibc), and reported in the note of every RESULT line.

#include <RTNeural/RTNeural.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

#ifndef BENCH_BACKEND
#define BENCH_BACKEND "unknown"
#endif
#ifndef RTNEURAL_COMMIT
#define RTNEURAL_COMMIT "unknown"
#endif

// ---------------------------------------------------------------- allocation counter
extern "C" {
void* __libc_malloc(size_t);
void __libc_free(void*);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
}
static volatile long g_allocs = 0;
static volatile bool g_count_allocs = false;
static inline void note_alloc()
{
    if(g_count_allocs)
        g_allocs = g_allocs + 1;
}
extern "C" {
void* malloc(size_t n)
{
    note_alloc();
    return __libc_malloc(n);
}
void free(void* p) { __libc_free(p); }
void* calloc(size_t a, size_t b)
{
    note_alloc();
    return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n)
{
    note_alloc();
    return __libc_realloc(p, n);
}
void* memalign(size_t a, size_t n)
{
    note_alloc();
    return __libc_memalign(a, n);
}
void* aligned_alloc(size_t a, size_t n)
{
    note_alloc();
    return __libc_memalign(a, n);
}
int posix_memalign(void** p, size_t a, size_t n)
{
    note_alloc();
    *p = __libc_memalign(a, n);
    return *p ? 0 : ENOMEM;
}
}

// ---------------------------------------------------------------- helpers
template <typename T>
static inline void keep(T const& v)
{
    asm volatile("" : : "g"(&v) : "memory");
}

static double env_num(const char* k, double d)
{
    const char* v = std::getenv(k);
    if(!v || !*v)
        return d;
    char* end = nullptr;
    double x = std::strtod(v, &end);
    return end == v ? d : x;
}

static bool wants(const char* w)
{
    const char* only = std::getenv("BENCH_ONLY");
    if(!only || !*only)
        return true;
    std::string s = std::string(",") + only + ",";
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    return s.find(std::string(",") + w + ",") != std::string::npos;
}

static double cpu_s()
{
    timespec ts {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Timing
{
    std::vector<double> per_call_s, cpu_per_call_s;
    size_t iters = 0;
    double med() const { return median(per_call_s); }
    double mn() const { return *std::min_element(per_call_s.begin(), per_call_s.end()); }
    double mx() const { return *std::max_element(per_call_s.begin(), per_call_s.end()); }
};

template <typename F>
static Timing time_it(F&& f)
{
    const int reps = (int)env_num("BENCH_REPS", 7);
    const double rep_ms = env_num("BENCH_REP_MS", 300);
    const double warm_ms = env_num("BENCH_WARMUP_MS", 500);
    using clk = std::chrono::steady_clock;
    auto secs = [](clk::time_point a, clk::time_point b)
    { return std::chrono::duration<double>(b - a).count(); };

    auto t0 = clk::now();
    size_t n = 0;
    while(secs(t0, clk::now()) * 1e3 < warm_ms || n < 3)
    {
        f();
        ++n;
    }
    const double per_call = secs(t0, clk::now()) / (double)n;
    Timing t;
    t.iters = (size_t)std::max(1.0, std::ceil(rep_ms / 1e3 / per_call));
    for(int r = 0; r < reps; ++r)
    {
        const double c = cpu_s();
        const auto a = clk::now();
        for(size_t i = 0; i < t.iters; ++i)
            f();
        const auto b = clk::now();
        t.per_call_s.push_back(secs(a, b) / (double)t.iters);
        t.cpu_per_call_s.push_back((cpu_s() - c) / (double)t.iters);
    }
    return t;
}

// heap allocations per call of f, after warm-up
template <typename F>
static double allocs_per_call(F&& f, int calls = 1000, int warm = 10)
{
    for(int i = 0; i < warm; ++i)
        f();
    g_allocs = 0;
    g_count_allocs = true;
    for(int i = 0; i < calls; ++i)
        f();
    g_count_allocs = false;
    return (double)g_allocs / calls;
}

static void result(const std::string& system, const char* workload, double value_ns,
    const Timing& t, double allocs, double max_err, const std::string& extra)
{
    const double spread = 100.0 * (t.mx() - t.mn()) / t.med();
    const double cpu_ratio = median(t.cpu_per_call_s) / t.med();
    char note[1400];
    std::snprintf(note, sizeof note,
        "median of %zu reps x %zu calls; spread (max-min)/median %.1f%%; min %.4e s/call; "
        "process cpu/wall %.2f; heap allocs per call %.3g; max abs err vs f64 reference %.2e; "
        "RTNeural %s, backend %s, g++ %d.%d -O3 -march=native -DNDEBUG, RTNEURAL_DEFAULT_ALIGNMENT=%d; %s",
        t.per_call_s.size(), t.iters, spread, t.mn(), cpu_ratio, allocs, max_err,
        RTNEURAL_COMMIT, BENCH_BACKEND, __GNUC__, __GNUC_MINOR__, RTNEURAL_DEFAULT_ALIGNMENT,
        extra.c_str());
    if(max_err > 1e-3)
        std::strncat(note, "; WRONG OUTPUT: max abs err vs reference > 1e-3", sizeof note - std::strlen(note) - 1);
    const double v = value_ns;
    char val[64];
    if(std::fabs(v) >= 100)
        std::snprintf(val, sizeof val, "%.1f", v);
    else
        std::snprintf(val, sizeof val, "%.4f", v);
    std::printf("RESULT {\"system\":\"%s\",\"workload\":\"%s\",\"metric\":\"ns_per_sample\","
                "\"value\":%s,\"threads\":1,\"note\":\"%s\"}\n",
        system.c_str(), workload, val, note);
    std::fflush(stdout);
}

// ---------------------------------------------------------------- weights
struct DenseW
{
    int in, out;
    std::vector<float> k; // in x out, row-major (Keras kernel layout)
    std::vector<float> b; // out
};
struct LstmW
{
    int in, out;
    std::vector<float> w; // in x 4out, Keras gate order i, f, c, o
    std::vector<float> u; // out x 4out
    std::vector<float> b; // 4out
};

static std::mt19937 rng(1234);
static std::vector<float> uniform(size_t n, float a)
{
    std::uniform_real_distribution<float> d(-a, a);
    std::vector<float> v(n);
    for(auto& x : v)
        x = d(rng);
    return v;
}
static DenseW make_dense(int in, int out)
{
    const float a = std::sqrt(6.0f / (float)(in + out)); // glorot uniform
    return { in, out, uniform((size_t)in * out, a), uniform((size_t)out, 0.1f) };
}
static LstmW make_lstm(int in, int out)
{
    const float a = std::sqrt(6.0f / (float)(in + 4 * out));
    return { in, out, uniform((size_t)in * 4 * out, a), uniform((size_t)out * 4 * out, a),
        uniform((size_t)4 * out, 0.1f) };
}

// Keras-style JSON, as RTNeural's python/model_utils.py save_model() writes it
static nlohmann::json mat_json(const std::vector<float>& m, int rows, int cols)
{
    nlohmann::json j = nlohmann::json::array();
    for(int r = 0; r < rows; ++r)
        j.push_back(std::vector<float>(m.begin() + (size_t)r * cols, m.begin() + (size_t)(r + 1) * cols));
    return j;
}
static nlohmann::json dense_json(const DenseW& d, const std::string& act)
{
    return { { "type", "dense" }, { "activation", act }, { "shape", { nullptr, d.out } },
        { "weights", { mat_json(d.k, d.in, d.out), d.b } } };
}
static nlohmann::json lstm_json(const LstmW& l, bool seq, int steps)
{
    nlohmann::json shape = seq ? nlohmann::json { nullptr, steps, l.out } : nlohmann::json { nullptr, l.out };
    return { { "type", "lstm" }, { "activation", "" }, { "shape", shape },
        { "weights", { mat_json(l.w, l.in, 4 * l.out), mat_json(l.u, l.out, 4 * l.out), l.b } } };
}

// ---------------------------------------------------------------- f64 reference
static std::vector<double> ref_dense(const DenseW& d, const std::vector<double>& x, const std::string& act)
{
    std::vector<double> y(d.out);
    for(int o = 0; o < d.out; ++o)
    {
        double s = d.b[o];
        for(int i = 0; i < d.in; ++i)
            s += x[i] * (double)d.k[(size_t)i * d.out + o];
        y[o] = s;
    }
    if(act == "relu")
        for(auto& v : y)
            v = std::max(v, 0.0);
    else if(act == "sigmoid")
        for(auto& v : y)
            v = 1.0 / (1.0 + std::exp(-v));
    else if(act == "softmax")
    {
        double m = *std::max_element(y.begin(), y.end()), s = 0;
        for(auto& v : y)
            s += (v = std::exp(v - m));
        for(auto& v : y)
            v /= s;
    }
    return y;
}
struct RefLstm
{
    const LstmW& p;
    std::vector<double> h, c;
    explicit RefLstm(const LstmW& p_) : p(p_), h(p_.out, 0.0), c(p_.out, 0.0) { }
    const std::vector<double>& step(const std::vector<double>& x)
    {
        const int n = p.out;
        std::vector<double> z(4 * n);
        for(int g = 0; g < 4 * n; ++g)
        {
            double s = p.b[g];
            for(int i = 0; i < p.in; ++i)
                s += x[i] * (double)p.w[(size_t)i * 4 * n + g];
            for(int i = 0; i < n; ++i)
                s += h[i] * (double)p.u[(size_t)i * 4 * n + g];
            z[g] = s;
        }
        auto sg = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
        for(int k = 0; k < n; ++k)
        {
            const double ig = sg(z[k]), fg = sg(z[n + k]), cg = std::tanh(z[2 * n + k]), og = sg(z[3 * n + k]);
            c[k] = fg * c[k] + ig * cg;
            h[k] = og * std::tanh(c[k]);
        }
        return h;
    }
};

// aligned, padded pool of input samples (row stride a multiple of 8 floats)
struct Pool
{
    int n, dim, stride;
    float* data;
    Pool(int n_, int dim_, float a) : n(n_), dim(dim_), stride((dim_ + 7) / 8 * 8)
    {
        data = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * (size_t)n * stride + 64));
        std::memset(data, 0, sizeof(float) * (size_t)n * stride);
        auto v = uniform((size_t)n * dim, a);
        for(int s = 0; s < n; ++s)
            for(int i = 0; i < dim; ++i)
                data[(size_t)s * stride + i] = v[(size_t)s * dim + i];
    }
    ~Pool() { std::free(data); }
    const float* at(int s) const { return data + (size_t)s * stride; }
    std::vector<double> vec(int s) const { return std::vector<double>(at(s), at(s) + dim); }
};

static const std::string SYS = std::string("rtneural-") + RTNEURAL_COMMIT;
static volatile float g_sink;

// ---------------------------------------------------------------- W1
using ModelW1 = RTNeural::ModelT<float, 8, 1,
    RTNeural::DenseT<float, 8, 10>, RTNeural::ReLuActivationT<float, 10>,
    RTNeural::DenseT<float, 10, 5>, RTNeural::ReLuActivationT<float, 5>,
    RTNeural::DenseT<float, 5, 1>, RTNeural::SigmoidActivationT<float, 1>>;

static void bench_w1()
{
    const DenseW d1 = make_dense(8, 10), d2 = make_dense(10, 5), d3 = make_dense(5, 1);
    nlohmann::json j = { { "in_shape", { nullptr, 8 } },
        { "layers", { dense_json(d1, "relu"), dense_json(d2, "relu"), dense_json(d3, "sigmoid") } } };
    const int N = 256;
    Pool xs(N, 8, 1.0f);
    auto ref = [&](int s)
    { return ref_dense(d3, ref_dense(d2, ref_dense(d1, xs.vec(s), "relu"), "relu"), "sigmoid")[0]; };

    auto mt = std::make_unique<ModelW1>();
    mt->parseJson(j);
    mt->reset();
    auto md = RTNeural::json_parser::parseJson<float>(j);
    md->reset();

    double e_t = 0, e_d = 0;
    for(int s = 0; s < N; ++s)
    {
        e_t = std::max(e_t, std::fabs(mt->forward(xs.at(s)) - ref(s)));
        e_d = std::max(e_d, std::fabs(md->forward(xs.at(s)) - ref(s)));
    }
    int idx = 0;
    float acc = 0;
    auto ft = [&]
    {
        acc += mt->forward(xs.at(idx));
        idx = (idx + 1) & (N - 1);
        keep(acc);
    };
    auto fd = [&]
    {
        acc += md->forward(xs.at(idx));
        idx = (idx + 1) & (N - 1);
        keep(acc);
    };
    const std::string extra = "batch 1, 8->10 relu->5 relu->1 sigmoid, Keras-style JSON loaded by RTNeural";
    auto a = allocs_per_call(ft);
    auto t = time_it(ft);
    result(SYS + "-ModelT-" + BENCH_BACKEND, "W1", t.med() * 1e9, t, a, e_t, "ModelT; " + extra);
    a = allocs_per_call(fd);
    t = time_it(fd);
    result(SYS + "-dynamic-" + BENCH_BACKEND, "W1", t.med() * 1e9, t, a, e_d, "run-time Model<float> from json_parser::parseJson; " + extra);
    g_sink = acc;
}

// ---------------------------------------------------------------- W2i
using ModelW2 = RTNeural::ModelT<float, 784, 10,
    RTNeural::DenseT<float, 784, 64>, RTNeural::ReLuActivationT<float, 64>,
    RTNeural::DenseT<float, 64, 64>, RTNeural::ReLuActivationT<float, 64>,
    RTNeural::DenseT<float, 64, 10>, RTNeural::SoftmaxActivationT<float, 10>>;

using ModelW2Linear = RTNeural::ModelT<float, 784, 10,
    RTNeural::DenseT<float, 784, 64>, RTNeural::ReLuActivationT<float, 64>,
    RTNeural::DenseT<float, 64, 64>, RTNeural::ReLuActivationT<float, 64>,
    RTNeural::DenseT<float, 64, 10>>;

static void bench_w2i()
{
    const DenseW d1 = make_dense(784, 64), d2 = make_dense(64, 64), d3 = make_dense(64, 10);
    nlohmann::json j = { { "in_shape", { nullptr, 784 } },
        { "layers", { dense_json(d1, "relu"), dense_json(d2, "relu"), dense_json(d3, "softmax") } } };
    const int N = 16;
    Pool xs(N, 784, 1.0f);
    auto ref = [&](int s)
    { return ref_dense(d3, ref_dense(d2, ref_dense(d1, xs.vec(s), "relu"), "relu"), "softmax"); };

    auto mt = std::make_unique<ModelW2>();
    mt->parseJson(j);
    mt->reset();
    auto md = RTNeural::json_parser::parseJson<float>(j);
    md->reset();

    double e_t = 0, e_d = 0;
    for(int s = 0; s < N; ++s)
    {
        auto r = ref(s);
        mt->forward(xs.at(s));
        md->forward(xs.at(s));
        for(int k = 0; k < 10; ++k)
        {
            e_t = std::max(e_t, std::fabs(mt->getOutputs()[k] - r[k]));
            e_d = std::max(e_d, std::fabs(md->getOutputs()[k] - r[k]));
        }
    }
    int idx = 0;
    float acc = 0;
    auto ft = [&]
    {
        mt->forward(xs.at(idx));
        acc += mt->getOutputs()[9];
        idx = (idx + 1) & (N - 1);
        keep(acc);
    };
    auto fd = [&]
    {
        md->forward(xs.at(idx));
        acc += md->getOutputs()[9];
        idx = (idx + 1) & (N - 1);
        keep(acc);
    };
    const std::string extra = "batch 1, 784->64 relu->64 relu->10 softmax (RTNeural SoftmaxActivation, no max-subtraction)";
    auto a = allocs_per_call(ft);
    auto t = time_it(ft);
    result(SYS + "-ModelT-" + BENCH_BACKEND, "W2i", t.med() * 1e9, t, a, e_t, "ModelT; " + extra);
    a = allocs_per_call(fd);
    t = time_it(fd);
    result(SYS + "-dynamic-" + BENCH_BACKEND, "W2i", t.med() * 1e9, t, a, e_d, "run-time Model<float>; " + extra);

#if RTNEURAL_USE_XSIMD
    // RTNeural's xsimd SoftmaxActivationT sums exp() over the padding lanes of
    // its last SIMD register (10 outputs -> 16 lanes on AVX2), so its outputs
    // are wrong. Time the same network ending in a linear Dense, with the
    // softmax written by hand after the model, as a correct xsimd figure.
    auto mh = std::make_unique<ModelW2Linear>();
    nlohmann::json jl = j;
    jl["layers"][2]["activation"] = "";
    mh->parseJson(jl);
    auto hand = [&](const float* x, float* p)
    {
        mh->forward(x);
        const float* z = mh->getOutputs();
        float m = z[0];
        for(int k = 1; k < 10; ++k)
            m = std::max(m, z[k]);
        float s = 0;
        for(int k = 0; k < 10; ++k)
            s += (p[k] = std::exp(z[k] - m));
        const float r = 1.0f / s;
        for(int k = 0; k < 10; ++k)
            p[k] *= r;
    };
    float probs[10];
    double e_h = 0;
    for(int s = 0; s < N; ++s)
    {
        auto r = ref(s);
        hand(xs.at(s), probs);
        for(int k = 0; k < 10; ++k)
            e_h = std::max(e_h, std::fabs(probs[k] - r[k]));
    }
    auto fh = [&]
    {
        hand(xs.at(idx), probs);
        acc += probs[9];
        idx = (idx + 1) & (N - 1);
        keep(acc);
    };
    a = allocs_per_call(fh);
    t = time_it(fh);
    result(SYS + "-ModelT-" + BENCH_BACKEND + "+softmax-by-hand", "W2i", t.med() * 1e9, t, a, e_h,
        "ModelT ending in a linear Dense 10, softmax (max-subtracted) by hand after the model, because "
        "RTNeural's xsimd SoftmaxActivationT is wrong when the size is not a multiple of the SIMD width; "
        "batch 1, 784->64 relu->64 relu->10");
#endif
    g_sink = acc;
}

// ---------------------------------------------------------------- W4i
using ModelW4 = RTNeural::ModelT<float, 1, 1,
    RTNeural::LSTMLayerT<float, 1, 10>, RTNeural::LSTMLayerT<float, 10, 10>,
    RTNeural::DenseT<float, 10, 10>, RTNeural::ReLuActivationT<float, 10>,
    RTNeural::DenseT<float, 10, 1>>;
using ModelW4Rnn = RTNeural::ModelT<float, 1, 10,
    RTNeural::LSTMLayerT<float, 1, 10>, RTNeural::LSTMLayerT<float, 10, 10>>;
using ModelW4Head = RTNeural::ModelT<float, 10, 1,
    RTNeural::DenseT<float, 10, 10>, RTNeural::ReLuActivationT<float, 10>,
    RTNeural::DenseT<float, 10, 1>>;

static void bench_w4i()
{
    constexpr int T = 10;
    const LstmW l1 = make_lstm(1, 10), l2 = make_lstm(10, 10);
    const DenseW d1 = make_dense(10, 10), d2 = make_dense(10, 1);
    nlohmann::json j = { { "in_shape", { nullptr, T, 1 } },
        { "layers", { lstm_json(l1, true, T), lstm_json(l2, false, T), dense_json(d1, "relu"), dense_json(d2, "") } } };
    nlohmann::json j_rnn = { { "in_shape", { nullptr, T, 1 } }, { "layers", { lstm_json(l1, true, T), lstm_json(l2, false, T) } } };
    nlohmann::json j_head = { { "in_shape", { nullptr, 10 } }, { "layers", { dense_json(d1, "relu"), dense_json(d2, "") } } };

    // N sequences; each time step in its own aligned 8-float slot
    const int N = 64;
    Pool xs(N * T, 1, 1.0f);
    auto ref = [&](int s)
    {
        RefLstm r1(l1), r2(l2);
        std::vector<double> h;
        for(int t = 0; t < T; ++t)
            h = r2.step(r1.step(xs.vec(s * T + t)));
        return ref_dense(d2, ref_dense(d1, h, "relu"), "")[0];
    };

    auto mt = std::make_unique<ModelW4>();
    mt->parseJson(j);
    auto mr = std::make_unique<ModelW4Rnn>();
    mr->parseJson(j_rnn);
    auto mh = std::make_unique<ModelW4Head>();
    mh->parseJson(j_head);
    auto md = RTNeural::json_parser::parseJson<float>(j);

    auto seq_t = [&](int s)
    {
        mt->reset();
        float y = 0;
        for(int t = 0; t < T; ++t)
            y = mt->forward(xs.at(s * T + t));
        return y;
    };
    auto seq_h = [&](int s)
    {
        mr->reset();
        for(int t = 0; t < T; ++t)
            mr->forward(xs.at(s * T + t));
        return mh->forward(mr->getOutputs());
    };
    auto seq_d = [&](int s)
    {
        md->reset();
        float y = 0;
        for(int t = 0; t < T; ++t)
            y = md->forward(xs.at(s * T + t));
        return y;
    };
    double e_t = 0, e_h = 0, e_d = 0;
    for(int s = 0; s < N; ++s)
    {
        const double r = ref(s);
        e_t = std::max(e_t, std::fabs(seq_t(s) - r));
        e_h = std::max(e_h, std::fabs(seq_h(s) - r));
        e_d = std::max(e_d, std::fabs(seq_d(s) - r));
    }
    int idx = 0;
    float acc = 0;
    auto wrap = [&](auto& seq)
    {
        return [&]
        {
            acc += seq(idx);
            idx = (idx + 1) & (N - 1);
            keep(acc);
        };
    };
    auto ft = wrap(seq_t);
    auto fh = wrap(seq_h);
    auto fd = wrap(seq_d);
    const std::string extra = "one sequence of 10 steps x 1 feature = reset() + 10 forward() calls, "
                              "LSTM 10 -> LSTM 10 -> Dense 10 relu -> Dense 1";
    auto a = allocs_per_call(ft);
    auto t = time_it(ft);
    result(SYS + "-ModelT-" + BENCH_BACKEND, "W4i", t.med() * 1e9, t, a, e_t,
        "ModelT; dense head runs at every step (RTNeural is one-step-per-call); " + extra);
    a = allocs_per_call(fh);
    t = time_it(fh);
    result(SYS + "-ModelT-" + BENCH_BACKEND + "+head-once", "W4i", t.med() * 1e9, t, a, e_h,
        "ModelT<LSTM,LSTM> for the 10 steps, then a ModelT dense head once on the last state; " + extra);
    a = allocs_per_call(fd);
    t = time_it(fd);
    result(SYS + "-dynamic-" + BENCH_BACKEND, "W4i", t.med() * 1e9, t, a, e_d,
        "run-time Model<float>; dense head runs at every step; " + extra);
    g_sink = acc;
}

// ---------------------------------------------------------------- W5: audio streaming
// One sample at a time, f32, state kept across samples: LSTM n / GRU n -> Dense 1
// (guitar-amp models: GuitarML Proteus LSTM 40, NeuralPi LSTM 20 with a knob
// input, AIDA-X GRU/LSTM 8-80). One call = one pass over a 48,000-sample stream
// (1 s at 48 kHz). The state is zeroed once (reset()) before the first pass and
// then carried through every sample of every pass, warm-up and timed ones.
constexpr int W5_SAMPLES = 48000;
constexpr int W5_CHECK = 4800; // samples checked against the f64 reference

struct GruW
{
    int in, out;
    std::vector<float> w; // in x 3out, Keras gate order z, r, h
    std::vector<float> u; // out x 3out
    std::vector<float> b; // 2 x 3out: input bias row, recurrent bias row (reset_after)
};
static GruW make_gru(int in, int out)
{
    const float a = std::sqrt(6.0f / (float)(in + 3 * out));
    return { in, out, uniform((size_t)in * 3 * out, a), uniform((size_t)out * 3 * out, a),
        uniform((size_t)2 * 3 * out, 0.1f) };
}
static nlohmann::json gru_json(const GruW& g)
{
    return { { "type", "gru" }, { "activation", "" }, { "shape", { nullptr, g.out } },
        { "weights", { mat_json(g.w, g.in, 3 * g.out), mat_json(g.u, g.out, 3 * g.out), mat_json(g.b, 2, 3 * g.out) } } };
}
// Keras GRU with reset_after = true (= PyTorch nn.GRU):
// z = sig(Wz x + bz0 + Uz h + bz1), r = sig(Wr x + br0 + Ur h + br1),
// n = tanh(Wh x + bh0 + r * (Uh h + bh1)), h' = z * h + (1 - z) * n
struct RefGru
{
    const GruW& p;
    std::vector<double> h;
    explicit RefGru(const GruW& p_) : p(p_), h(p_.out, 0.0) { }
    const std::vector<double>& step(const std::vector<double>& x)
    {
        const int n = p.out, g3 = 3 * n;
        std::vector<double> a(g3), r(g3);
        for(int g = 0; g < g3; ++g)
        {
            double s = p.b[g], t = p.b[g3 + g];
            for(int i = 0; i < p.in; ++i)
                s += x[i] * (double)p.w[(size_t)i * g3 + g];
            for(int i = 0; i < n; ++i)
                t += h[i] * (double)p.u[(size_t)i * g3 + g];
            a[g] = s;
            r[g] = t;
        }
        auto sg = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
        for(int k = 0; k < n; ++k)
        {
            const double z = sg(a[k] + r[k]), rr = sg(a[n + k] + r[n + k]);
            const double c = std::tanh(a[2 * n + k] + rr * r[2 * n + k]);
            h[k] = z * h[k] + (1.0 - z) * c;
        }
        return h;
    }
};

// ---- a minimal safetensors writer (little-endian, tensors in name order)
struct StTensor
{
    std::string name, dtype;
    std::vector<int64_t> shape;
    std::vector<char> bytes;
};
template <typename V>
static StTensor st_tensor(const std::string& name, const char* dtype, std::vector<int64_t> shape, const std::vector<V>& v)
{
    StTensor t { name, dtype, std::move(shape), {} };
    t.bytes.resize(v.size() * sizeof(V));
    std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
    return t;
}
static void write_safetensors(const std::string& path, std::vector<StTensor> ts)
{
    std::sort(ts.begin(), ts.end(), [](const StTensor& a, const StTensor& b) { return a.name < b.name; });
    nlohmann::json h = nlohmann::json::object();
    size_t off = 0;
    for(const auto& t : ts)
    {
        h[t.name] = { { "dtype", t.dtype }, { "shape", t.shape }, { "data_offsets", { off, off + t.bytes.size() } } };
        off += t.bytes.size();
    }
    std::string head = h.dump();
    while(head.size() % 8)
        head.push_back(' ');
    const uint64_t n = head.size();
    FILE* f = std::fopen(path.c_str(), "wb");
    if(!f)
    {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        std::exit(1);
    }
    std::fwrite(&n, 8, 1, f);
    std::fwrite(head.data(), 1, head.size(), f);
    for(const auto& t : ts)
        std::fwrite(t.bytes.data(), 1, t.bytes.size(), f);
    std::fclose(f);
}

// One W5 network: IN inputs per sample, ModelT type MT; `ref` maps the input
// stream to the f64 reference outputs of its first W5_CHECK samples.
template <int IN, typename MT, typename Ref>
static void run_w5(const char* id, const nlohmann::json& j, Ref&& ref, std::vector<StTensor> weights,
    const std::string& what)
{
    const int N = W5_SAMPLES;
    // channel 0: white noise in [-1, 1] (RTNeural-compare's test signal);
    // channel 1 (W5g): the knob, a ramp 0 -> 1 over the stream (a smoothed parameter)
    std::vector<float> x((size_t)N * IN), y_t(N), y_d(N);
    const auto audio = uniform(N, 1.0f);
    for(int i = 0; i < N; ++i)
    {
        x[(size_t)i * IN] = audio[i];
        if(IN == 2)
            x[(size_t)i * IN + 1] = (float)i / (float)(N - 1);
    }
    const std::vector<double> r = ref(x);

    auto mt = std::make_unique<MT>();
    mt->parseJson(j);
    mt->reset();
    auto md = RTNeural::json_parser::parseJson<float>(j);
    md->reset();

    // ModelT::forward with IN > 1 maps its input as an aligned Eigen vector, so
    // each sample goes through an aligned slot, as plugins do (NeuralPi's
    // inArray); with IN == 1 it reads input[0] only.
    alignas(64) float slot[16] = {};
    auto pass_t = [&]
    {
        const float* xp = x.data();
        float* yp = y_t.data();
        for(int i = 0; i < N; ++i)
        {
            if constexpr(IN == 1)
                yp[i] = mt->forward(xp + i);
            else
            {
                for(int k = 0; k < IN; ++k)
                    slot[k] = xp[(size_t)i * IN + k];
                yp[i] = mt->forward(slot);
            }
        }
        keep(y_t[N - 1]);
    };
    auto pass_d = [&]
    {
        const float* xp = x.data();
        float* yp = y_d.data();
        for(int i = 0; i < N; ++i)
            yp[i] = md->forward(xp + (size_t)i * IN);
        keep(y_d[N - 1]);
    };

    // first pass from the zero state: check against the f64 reference
    pass_t();
    pass_d();
    double e_t = 0, e_d = 0;
    for(int i = 0; i < W5_CHECK; ++i)
    {
        e_t = std::max(e_t, std::fabs(y_t[i] - r[i]));
        e_d = std::max(e_d, std::fabs(y_d[i] - r[i]));
    }
    if(const char* dir = std::getenv("BENCH_DUMP_DIR"); dir && *dir)
    {
        const std::string base = std::string(dir) + "/" + id;
        write_safetensors(base + ".weights.safetensors", weights);
        write_safetensors(base + ".stream-" + BENCH_BACKEND + ".safetensors",
            { st_tensor("input", "F32", { N, IN }, x), st_tensor("modelt_output", "F32", { N }, y_t),
                st_tensor("dynamic_output", "F32", { N }, y_d),
                st_tensor("reference_output", "F64", { W5_CHECK }, r) });
        std::fprintf(stderr, "%s: wrote %s.{weights,stream-%s}.safetensors\n", id, base.c_str(), BENCH_BACKEND);
    }
    if(env_num("BENCH_DUMP_ONLY", 0) != 0)
        return;

    char extra[512];
    auto note = [&](const Timing& t)
    {
        std::snprintf(extra, sizeof extra,
            "one call = one pass over %d samples (1 s at 48 kHz), forward() per sample, state kept across "
            "samples and passes (reset() once before the first); %.0fx real-time; error checked over the first %d "
            "samples from the zero state; %s",
            N, 1.0 / t.med(), W5_CHECK, what.c_str());
        return std::string(extra);
    };
    auto a = allocs_per_call(pass_t, 1, 1);
    auto t = time_it(pass_t);
    result(SYS + "-ModelT-" + BENCH_BACKEND, id, t.med() * 1e9 / N, t, a, e_t, "ModelT; " + note(t));
    a = allocs_per_call(pass_d, 1, 1);
    t = time_it(pass_d);
    result(SYS + "-dynamic-" + BENCH_BACKEND, id, t.med() * 1e9 / N, t, a, e_d,
        "run-time Model<float> from json_parser::parseJson; " + note(t));
}

template <int IN, int U, typename MT>
static void w5_lstm(const char* id, uint32_t seed, const std::string& what)
{
    rng.seed(seed); // weights and signal independent of the other workloads run
    const LstmW l = make_lstm(IN, U);
    const DenseW d = make_dense(U, 1);
    nlohmann::json j = { { "in_shape", { nullptr, nullptr, IN } },
        { "layers", { lstm_json(l, false, 0), dense_json(d, "") } } };
    auto ref = [&](const std::vector<float>& x)
    {
        RefLstm rl(l);
        std::vector<double> out(W5_CHECK);
        for(int i = 0; i < W5_CHECK; ++i)
            out[i] = ref_dense(d, rl.step(std::vector<double>(x.begin() + (size_t)i * IN, x.begin() + (size_t)(i + 1) * IN)), "")[0];
        return out;
    };
    std::vector<StTensor> w = { st_tensor("lstm.kernel", "F32", { IN, 4 * U }, l.w),
        st_tensor("lstm.recurrent_kernel", "F32", { U, 4 * U }, l.u), st_tensor("lstm.bias", "F32", { 4 * U }, l.b),
        st_tensor("dense.kernel", "F32", { U, 1 }, d.k), st_tensor("dense.bias", "F32", { 1 }, d.b) };
    run_w5<IN, MT>(id, j, ref, std::move(w), what);
}

template <int IN, int U, typename MT>
static void w5_gru(const char* id, uint32_t seed, const std::string& what)
{
    rng.seed(seed);
    const GruW g = make_gru(IN, U);
    const DenseW d = make_dense(U, 1);
    nlohmann::json j = { { "in_shape", { nullptr, nullptr, IN } }, { "layers", { gru_json(g), dense_json(d, "") } } };
    auto ref = [&](const std::vector<float>& x)
    {
        RefGru rg(g);
        std::vector<double> out(W5_CHECK);
        for(int i = 0; i < W5_CHECK; ++i)
            out[i] = ref_dense(d, rg.step(std::vector<double>(x.begin() + (size_t)i * IN, x.begin() + (size_t)(i + 1) * IN)), "")[0];
        return out;
    };
    std::vector<StTensor> w = { st_tensor("gru.kernel", "F32", { IN, 3 * U }, g.w),
        st_tensor("gru.recurrent_kernel", "F32", { U, 3 * U }, g.u), st_tensor("gru.bias", "F32", { 2, 3 * U }, g.b),
        st_tensor("dense.kernel", "F32", { U, 1 }, d.k), st_tensor("dense.bias", "F32", { 1 }, d.b) };
    run_w5<IN, MT>(id, j, ref, std::move(w), what);
}

template <int IN, int U>
using W5Lstm = RTNeural::ModelT<float, IN, 1, RTNeural::LSTMLayerT<float, IN, U>, RTNeural::DenseT<float, U, 1>>;
template <int IN, int U>
using W5Gru = RTNeural::ModelT<float, IN, 1, RTNeural::GRULayerT<float, IN, U>, RTNeural::DenseT<float, U, 1>>;

static void bench_w5()
{
    if(wants("W5a"))
        w5_lstm<1, 8, W5Lstm<1, 8>>("W5a", 5001, "1 input -> LSTM 8 -> Dense 1");
    if(wants("W5b"))
        w5_lstm<1, 16, W5Lstm<1, 16>>("W5b", 5002, "1 input -> LSTM 16 -> Dense 1");
    if(wants("W5c"))
        w5_lstm<1, 40, W5Lstm<1, 40>>("W5c", 5003, "1 input -> LSTM 40 -> Dense 1 (GuitarML Proteus size)");
    if(wants("W5d"))
        w5_lstm<1, 64, W5Lstm<1, 64>>("W5d", 5004, "1 input -> LSTM 64 -> Dense 1");
    if(wants("W5e"))
        w5_gru<1, 8, W5Gru<1, 8>>("W5e", 5005, "1 input -> GRU 8 -> Dense 1");
    if(wants("W5f"))
        w5_gru<1, 32, W5Gru<1, 32>>("W5f", 5006, "1 input -> GRU 32 -> Dense 1");
    if(wants("W5g"))
        w5_lstm<2, 20, W5Lstm<2, 20>>("W5g", 5007,
            "2 inputs (audio sample, knob value) -> LSTM 20 -> Dense 1 (NeuralPi-style conditioned model)");
}

int main()
{
    std::fprintf(stderr, "RTNeural %s, backend %s, sizeof ModelW2 %zu bytes, sizeof ModelW4 %zu bytes\n",
        RTNEURAL_COMMIT, BENCH_BACKEND, sizeof(ModelW2), sizeof(ModelW4));
    if(wants("W1"))
        bench_w1();
    if(wants("W2i"))
        bench_w2i();
    if(wants("W4i"))
        bench_w4i();
    bench_w5();
    return 0;
}
