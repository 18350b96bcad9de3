// extract_dlib_face_weights.cpp
//
// Dumps every learned tensor of dlib's face-recognition ResNet
// (dlib_face_recognition_resnet_model_v1.dat, CC0) as raw little-endian float32,
// in forward (input -> output) order, so that convert_dlib_face.py can build an
// equivalent ONNX graph.  The network type is copied verbatim from dlib's
// examples/dnn_face_recognition_ex.cpp (identical to tools/python/src/face_recognition.cpp).
//
// Because the .dat was saved from a training net with bn_con layers, dlib's
// affine_ deserializer folds each batch-norm into gamma' = gamma/sqrt(var+eps),
// beta' = beta - mean*gamma'; what we dump is exactly what dlib runs at inference.
//
// Output files (in OUTDIR):
//   weights.bin   concatenated float32 tensors
//   weights.txt   one line per tensor: "<kind> <name> <offset_floats> <dims...>" plus
//                 per-layer metadata lines ("# con stride=.. pad=.." etc.) for verification.
//   probe_in.bin / probe_out.bin  a deterministic 150x150 RGB test image (uint8, HWC)
//                 and dlib's 128-d output for it (float32), for an end-to-end check.
//
// Build (CPU only, no GUI):
//   g++ -O2 -std=c++14 -I/tmp/dlibsrc extract_dlib_face_weights.cpp \
//       /tmp/dlibsrc/dlib/all/source.cpp -DDLIB_NO_GUI_SUPPORT -lpthread -o extract
// Run:
//   ./extract dlib_face_recognition_resnet_model_v1.dat OUTDIR

#include <dlib/dnn.h>
#include <dlib/rand.h>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace dlib;
using namespace std;

// ---- network definition: verbatim from examples/dnn_face_recognition_ex.cpp ----
template <template <int,template<typename>class,int,typename> class block, int N, template<typename>class BN, typename SUBNET>
using residual = add_prev1<block<N,BN,1,tag1<SUBNET>>>;

template <template <int,template<typename>class,int,typename> class block, int N, template<typename>class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,BN,2,tag1<SUBNET>>>>>>;

template <int N, template <typename> class BN, int stride, typename SUBNET>
using block  = BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>>;

template <int N, typename SUBNET> using ares      = relu<residual<block,N,affine,SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block,N,affine,SUBNET>>;

template <typename SUBNET> using alevel0 = ares_down<256,SUBNET>;
template <typename SUBNET> using alevel1 = ares<256,ares<256,ares_down<256,SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128,ares<128,ares_down<128,SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64,ares<64,ares<64,ares_down<64,SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32,ares<32,ares<32,SUBNET>>>;

using anet_type = loss_metric<fc_no_bias<128,avg_pool_everything<
                            alevel0<
                            alevel1<
                            alevel2<
                            alevel3<
                            alevel4<
                            max_pool<3,3,2,2,relu<affine<con<32,7,7,2,2,
                            input_rgb_image_sized<150>
                            >>>>>>>>>>>>;
// ---------------------------------------------------------------------------------

// One entry per computational layer, collected in dlib's visit order (output -> input).
struct layer_dump
{
    std::string meta;                                    // "# layer ..." description line
    std::vector<std::pair<std::string, std::vector<float>>> tensors; // ("kind idx dims", data)
};

struct dumper
{
    // Held by pointer because dlib's visit_computational_layers() takes the visitor by value.
    std::vector<layer_dump>* out;
    explicit dumper(std::vector<layer_dump>& o) : out(&o) {}

    // Called by dlib for every computational layer: (index from the output, layer details).
    template <typename T> void operator()(size_t idx, T& l) { out->push_back(handle(idx, l)); }

    static std::vector<float> copy(const float* p, size_t n) { return std::vector<float>(p, p + n); }

    template <long nf, long nr, long nc, int sy, int sx, int py, int px>
    layer_dump handle(size_t idx, con_<nf,nr,nc,sy,sx,py,px>& l)
    {
        // dlib's con_ params: filters (num_filters, k_in, nr, nc) row-major, then biases.
        // padding_y()/padding_x() are the values read from the .dat file.
        const tensor& p = l.get_layer_params();
        const long per_filter = p.size() / nf - (l.bias_is_disabled() ? 0 : 1);
        const long cin = per_filter / (l.nr()*l.nc());
        layer_dump d;
        std::ostringstream m, h, hb;
        m << "# layer " << idx << " con filters=" << l.num_filters() << " k=" << l.nr() << "x" << l.nc()
          << " stride=" << l.stride_y() << "," << l.stride_x()
          << " pad=" << l.padding_y() << "," << l.padding_x()
          << " bias=" << (!l.bias_is_disabled()) << " fused_relu=" << (!l.relu_is_disabled());
        d.meta = m.str();
        h << "conv_w " << idx << " " << l.num_filters() << " " << cin << " " << l.nr() << " " << l.nc();
        d.tensors.emplace_back(h.str(), copy(p.host(), nf*per_filter));
        if (!l.bias_is_disabled())
        {
            hb << "conv_b " << idx << " " << nf;
            d.tensors.emplace_back(hb.str(), copy(p.host() + nf*per_filter, nf));
        }
        return d;
    }

    layer_dump handle(size_t idx, affine_& l)
    {
        // affine_ keeps gamma/beta outside get_layer_params(); when loaded from a bn_con2
        // record they are already folded: gamma/sqrt(var+eps), beta - mean*gamma/sqrt(var+eps).
        auto g = l.get_gamma();
        auto b = l.get_beta();
        layer_dump d;
        std::ostringstream m, hg, hb;
        m << "# layer " << idx << " affine mode=" << (l.get_mode()==CONV_MODE ? "CONV" : "FC")
          << " disabled=" << l.is_disabled() << " channels=" << g.size();
        d.meta = m.str();
        hg << "affine_gamma " << idx << " " << g.size();
        hb << "affine_beta " << idx << " " << b.size();
        d.tensors.emplace_back(hg.str(), copy(g.host(), g.size()));
        d.tensors.emplace_back(hb.str(), copy(b.host(), b.size()));
        return d;
    }

    template <unsigned long n, fc_bias_mode bm>
    layer_dump handle(size_t idx, fc_<n,bm>& l)
    {
        // dlib fc_ params: (num_inputs [+1 bias row], num_outputs) row-major; out = x * W.
        const tensor& p = l.get_layer_params();
        const long nin = p.size() / n - (bm == FC_HAS_BIAS ? 1 : 0);
        layer_dump d;
        std::ostringstream m, h, hb;
        m << "# layer " << idx << " fc outputs=" << n << " bias=" << (bm == FC_HAS_BIAS);
        d.meta = m.str();
        h << "fc_w " << idx << " " << nin << " " << n;
        d.tensors.emplace_back(h.str(), copy(p.host(), nin*n));
        if (bm == FC_HAS_BIAS)
        {
            hb << "fc_b " << idx << " " << n;
            d.tensors.emplace_back(hb.str(), copy(p.host() + nin*n, n));
        }
        return d;
    }

    template <long a, long b, int sy, int sx, int py, int px>
    layer_dump handle(size_t idx, max_pool_<a,b,sy,sx,py,px>& l)
    {
        layer_dump d; std::ostringstream m;
        m << "# layer " << idx << " max_pool " << l.nr() << "x" << l.nc() << " stride=" << l.stride_y()
          << "," << l.stride_x() << " pad=" << l.padding_y() << "," << l.padding_x();
        d.meta = m.str(); return d;
    }

    template <long a, long b, int sy, int sx, int py, int px>
    layer_dump handle(size_t idx, avg_pool_<a,b,sy,sx,py,px>& l)
    {
        layer_dump d; std::ostringstream m;
        m << "# layer " << idx << " avg_pool " << l.nr() << "x" << l.nc() << " stride=" << l.stride_y()
          << "," << l.stride_x() << " pad=" << l.padding_y() << "," << l.padding_x();
        d.meta = m.str(); return d;
    }

    template <typename T> layer_dump handle(size_t idx, T& l)   // relu, add_prev, loss, ...
    {
        layer_dump d; std::ostringstream m; m << "# layer " << idx << " " << l; d.meta = m.str(); return d;
    }
};

int main(int argc, char** argv) try
{
    if (argc != 3) { cerr << "usage: extract MODEL.dat OUTDIR\n"; return 1; }
    const std::string outdir = argv[2];
    anet_type net;
    deserialize(argv[1]) >> net;

    std::ofstream bin(outdir + "/weights.bin", std::ios::binary);
    std::ofstream txt(outdir + "/weights.txt");
    {
        // the input layer: to_tensor() computes (pixel - avg)/256 per channel, RGB planes
        auto& in = layer<anet_type::num_layers-1>(net);  // the input layer object itself
        txt << "# input_rgb_image_sized avg_red=" << in.get_avg_red() << " avg_green=" << in.get_avg_green()
            << " avg_blue=" << in.get_avg_blue() << "\n";
    }
    std::vector<layer_dump> layers;
    visit_computational_layers(net, dumper(layers));
    // visit order is output -> input; write input -> output.
    // Tensor lines: "<kind> <layer_idx> <offset_in_floats> <dims...>"
    long off = 0;
    for (auto it = layers.rbegin(); it != layers.rend(); ++it)
    {
        txt << it->meta << "\n";
        for (auto& t : it->tensors)
        {
            std::istringstream ts(t.first); std::string kind, idx, dims;
            ts >> kind >> idx; std::getline(ts, dims);
            txt << kind << " " << idx << " " << off << dims << "\n";
            bin.write(reinterpret_cast<const char*>(t.second.data()), t.second.size()*sizeof(float));
            off += t.second.size();
        }
    }
    txt << "# ---- dlib's own printout of the net (output -> input) ----\n";
    {
        std::ostringstream s; s << net;
        std::istringstream is(s.str()); std::string line;
        while (std::getline(is, line)) txt << "# " << line << "\n";
    }
    cerr << "wrote " << off << " floats\n";

    // Deterministic probe image (pseudo-random uint8 RGB) and dlib's output for it.
    dlib::rand rnd(12345);
    std::vector<matrix<rgb_pixel>> imgs(2);
    for (auto& img : imgs)
    {
        img.set_size(150,150);
        for (long r = 0; r < 150; ++r) for (long c = 0; c < 150; ++c)
            img(r,c) = rgb_pixel(rnd.get_random_8bit_number(), rnd.get_random_8bit_number(), rnd.get_random_8bit_number());
    }
    // second probe: a smooth gradient image (more natural statistics)
    for (long r = 0; r < 150; ++r) for (long c = 0; c < 150; ++c)
        imgs[1](r,c) = rgb_pixel((unsigned char)(r*255/149), (unsigned char)(c*255/149), (unsigned char)((r+c)*255/298));
    std::vector<matrix<float,0,1>> out = net(imgs);
    std::ofstream pin(outdir + "/probe_in.bin", std::ios::binary);
    std::ofstream pout(outdir + "/probe_out.bin", std::ios::binary);
    for (size_t i = 0; i < imgs.size(); ++i)
    {
        for (long r = 0; r < 150; ++r) for (long c = 0; c < 150; ++c)
        { rgb_pixel p = imgs[i](r,c); pin.put(p.red); pin.put(p.green); pin.put(p.blue); }
        pout.write(reinterpret_cast<const char*>(&out[i](0)), 128*sizeof(float));
    }
    cerr << "probe 0 first values: " << trans(rowm(out[0], range(0,4)));
    return 0;
}
catch (std::exception& e) { cerr << e.what() << endl; return 1; }
