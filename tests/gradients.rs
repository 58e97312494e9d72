//! Every backward pass against central finite differences, in f64 (the harness is
//! `tests/common/gradients.rs`).

#[macro_use]
#[path = "common/gradients.rs"]
mod harness;

use harness::*;
use kiln::{model, Mode};

gradient_checks! {
    dense_linear: DenseLinear { Input(5), Dense(4), Dense(3) };
    dense_relu: DenseRelu { Input(5), Dense(7, activation = relu), Dense(3) };
    dense_leaky_relu: DenseLeaky { Input(5), Dense(7, activation = leaky_relu(alpha = 0.1)), Dense(3) };
    dense_elu: DenseElu { Input(5), Dense(7, activation = elu(0.7)), Dense(3) };
    dense_sigmoid: DenseSigmoid { Input(5), Dense(4, activation = sigmoid), Dense(3, activation = sigmoid) };
    dense_tanh: DenseTanh { Input(5), Dense(4, activation = tanh), Dense(3, activation = tanh) };
    dense_softmax: DenseSoftmax { Input(5), Dense(4, activation = "relu"), Dense(3, activation = softmax) };
    dense_softplus: DenseSoftplus { Input(5), Dense(4, activation = softplus), Dense(3) };
    dense_silu: DenseSilu { Input(5), Dense(4, activation = silu), Dense(3, activation = swish) };
    dense_hard_sigmoid: DenseHardSigmoid { Input(5), Dense(4, activation = hard_sigmoid), Dense(3) };
    lstm_hard_sigmoid: LstmHardSigmoid { Input(5, 2), LSTM(3, recurrent_activation = hard_sigmoid), Dense(2) };
    dense_without_bias: NoBias { Input(5), Dense(4, activation = tanh, use_bias = false), Dense(2) };
    activation_layers: ActivationLayers {
        Input(4), Activation(tanh), Dense(6), Activation(elu), Dense(3), Activation(softmax)
    };
    dropout_in_training: DropoutTrain { Input(6), Dense(8, activation = relu), Dropout(0.5), Dense(2) } in Train;
    dropout_in_inference: DropoutInfer { Input(6), Dense(8, activation = relu), Dropout(0.5), Dense(2) };
    dropout_on_images: DropoutImage { Input(5, 4, 2), Conv2D(3, 2, activation = relu), Dropout(0.3), MaxPooling2D(2), Flatten(), Dense(2) } in Train;
    flatten_an_image: FlattenImage { Input(3, 2, 2), Flatten(), Dense(5, activation = tanh), Dense(2) };
    flatten_a_sequence: FlattenSequence { Input(4, 2), Flatten(), Dense(3) };
    // Pooling: max-pool is piecewise linear, and the random inputs have no ties within a window.
    max_pool_valid: MaxPoolValid { Input(7, 6, 2), MaxPooling2D(2), Flatten(), Dense(3) };
    max_pool_same_odd: MaxPoolSame { Input(7, 5, 3), MaxPool2D((2, 3), padding = same), Flatten(), Dense(2) };
    max_pool_overlapping: MaxPoolOverlap { Input(6, 7, 2), MaxPooling2D(3, strides = 1), Flatten(), Dense(2) };
    max_pool_overlapping_same: MaxPoolOverlapSame {
        Input(5, 6, 2), MaxPooling2D((3, 2), strides = (2, 1), padding = same), Flatten(), Dense(2)
    };
    avg_pool_valid: AvgPoolValid { Input(7, 6, 2), AveragePooling2D(2), Flatten(), Dense(3) };
    avg_pool_same_odd: AvgPoolSame { Input(7, 5, 3), AvgPool2D(pool_size = (2, 3), strides = None, padding = same), Flatten(), Dense(2) };
    avg_pool_overlapping: AvgPoolOverlap { Input(6, 7, 2), AveragePooling2D(3, 1), Flatten(), Dense(2) };
    avg_pool_overlapping_same: AvgPoolOverlapSame {
        Input(5, 6, 2), AveragePooling2D(3, strides = (1, 2), padding = "same"), Flatten(), Dense(2)
    };
    pool_last: PoolLast { Input(5, 4, 3), AveragePooling2D(2, strides = 1), MaxPooling2D(2, padding = same) };
    global_max_pool: GlobalMax { Input(5, 4, 3), GlobalMaxPooling2D(), Dense(2) };
    global_avg_pool: GlobalAvg { Input(5, 4, 3), GlobalAveragePooling2D(), Dense(2, activation = tanh) };
    pool_stack: PoolStack {
        Input(9, 8, 3), AveragePooling2D(3, strides = 1, padding = same), MaxPooling2D((2, 3), strides = (1, 2)),
        MaxPooling2D(2, padding = same), GlobalAveragePooling2D(), Dense(2)
    };
    deep_stack: Deep {
        Input(9), Dense(16, activation = relu), Dense(12, activation = tanh),
        Dense(8, activation = sigmoid), Dense(5, activation = softmax)
    };
    conv_valid_s1_square: ConvValidS1 { Input(7, 6, 2), Conv2D(3, 3), Flatten(), Dense(2) };
    conv_valid_s2_rect: ConvValidS2Rect { Input(7, 6, 3), Conv2D(2, (3, 2), strides = 2) };
    conv_valid_s2_rect_strides: ConvValidRectStrides { Input(7, 6, 2), Conv2D(3, (2, 3), strides = (2, 1), activation = tanh) };
    conv_same_s1_square: ConvSameS1 { Input(7, 6, 2), Conv2D(3, 3, padding = same, activation = relu) };
    conv_same_s2_square: ConvSameS2 { Input(7, 6, 3), Conv2D(2, 3, strides = 2, padding = same, activation = sigmoid) };
    conv_same_s2_rect: ConvSameS2Rect { Input(7, 6, 2), Conv2D(3, (5, 2), strides = (2, 2), padding = "same", activation = elu) };
    conv_same_s1_k5_even: ConvSameK4 { Input(6, 7, 2), Conv2D(2, (4, 5), padding = same) };
    conv_without_bias_valid: ConvNoBiasValid { Input(7, 6, 2), Conv2D(3, 3, strides = (1, 2), use_bias = false) };
    conv_without_bias_same: ConvNoBiasSame { Input(7, 6, 3), Conv2D(2, (3, 5), strides = 2, padding = same, use_bias = false, activation = silu) };
    conv_kernel_1x1: ConvPointwise { Input(5, 4, 3), Conv2D(4, 1, activation = leaky_relu(alpha = 0.2)) };
    conv_kernel_whole_image: ConvWhole { Input(4, 3, 2), Conv2D(3, (4, 3)), Flatten(), Dense(2, activation = softmax) };
    conv_stride_larger_than_kernel: ConvSparse { Input(7, 7, 2), Conv2D(2, 2, strides = 3, padding = same) };
    conv_softmax_over_channels: ConvSoftmax { Input(5, 4, 2), Conv2D(3, 3, padding = same, activation = softmax) };
    lstm_last: LstmLast { Input(5, 3), LSTM(4) };
    lstm_sequence: LstmSequence { Input(5, 3), LSTM(4, return_sequences = true) };
    lstm_without_bias: LstmNoBias { Input(4, 2), LSTM(3, use_bias = false), Dense(2) };
    lstm_one_step: LstmOneStep { Input(1, 3), LSTM(2, return_sequences = true) };
    lstm_stacked: LstmStacked { Input(6, 2), LSTM(4, return_sequences = true), LSTM(3), Dense(2) };
    simple_rnn_last: RnnLast { Input(5, 3), SimpleRNN(4) };
    simple_rnn_sequence: RnnSequence { Input(5, 3), SimpleRNN(4, return_sequences = true) };
    simple_rnn_without_bias: RnnNoBias { Input(4, 2), SimpleRNN(3, use_bias = false), Dense(2) };
    simple_rnn_stacked: RnnStacked { Input(6, 2), SimpleRNN(4, return_sequences = true), LSTM(3, return_sequences = true), SimpleRNN(2), Dense(2) };
    gru_last: GruLast { Input(5, 3), GRU(4) };
    gru_sequence: GruSequence { Input(5, 3), GRU(4, return_sequences = true) };
    gru_without_bias: GruNoBias { Input(4, 2), GRU(3, use_bias = false), Dense(2) };
    gru_one_step: GruOneStep { Input(1, 3), GRU(2, reset_after = true) };
    lstm_other_activations: LstmActivations { Input(5, 2), LSTM(4, activation = silu, recurrent_activation = tanh, return_sequences = true), LSTM(3, activation = elu, recurrent_activation = softplus), Dense(2) };
    simple_rnn_relu: RnnRelu { Input(5, 3), SimpleRNN(4, activation = silu, return_sequences = true), SimpleRNN(3, activation = relu), Dense(2) };
    gru_other_activations: GruActivations { Input(5, 2), GRU(4, activation = silu, recurrent_activation = softplus), Dense(2) };
    dense_per_step: DensePerStep { Input(5, 3), Dense(4, activation = tanh), LSTM(3, return_sequences = true), Dense(2, activation = softmax) };
    dense_per_step_linear: DensePerStepLinear { Input(4, 2), GRU(3, return_sequences = true), Dense(2, use_bias = false), Dropout(0.2), SimpleRNN(2) };
    gru_stacked: GruStacked { Input(6, 2), GRU(4, return_sequences = true), LSTM(3, return_sequences = true), GRU(3), Dense(2) };
    conv_stack: ConvStack {
        Input(9, 8, 2), Conv2D(4, 3, activation = relu), Conv2D(3, (3, 2), strides = 2, padding = same, activation = tanh),
        Flatten(), Dense(5, activation = relu), Dense(3, activation = softmax)
    };
}

// Normalisation: BatchNormalization through the batch statistics (training) and with the moving
// statistics as constants (inference), LayerNormalization per row, PReLU on both signs.
gradient_checks! {
    batch_norm_vector_training: BatchNormVectorTrain { Input(4), Dense(5), BatchNormalization(), Dense(3, activation = tanh) } in Train;
    batch_norm_vector_inference: BatchNormVectorInfer { Input(4), Dense(5), BatchNormalization(), Dense(3, activation = tanh) };
    batch_norm_image_training: BatchNormImageTrain {
        Input(4, 3, 2), Conv2D(3, 2, padding = same), BatchNormalization(momentum = 0.9), Activation(relu), Flatten(), Dense(2)
    } in Train;
    batch_norm_image_inference: BatchNormImageInfer { Input(4, 3, 2), BatchNormalization(epsilon = 1e-5), Flatten(), Dense(2) };
    batch_norm_sequence_training: BatchNormSequenceTrain { Input(4, 3), BatchNormalization(convention = pytorch), LSTM(2) } in Train;
    batch_norm_without_affine: BatchNormBare { Input(4), BatchNormalization(center = false, scale = false), Dense(2) } in Train;
    batch_norm_scale_only: BatchNormScale { Input(4), BatchNormalization(center = false), Dense(2) } in Train;
    batch_norm_first_and_last: BatchNormFirstLast { Input(5), BatchNormalization(), Dense(4), BatchNormalization() } in Train;
    layer_norm_vector: LayerNormVector { Input(5), Dense(6), LayerNormalization(), Dense(3, activation = tanh) };
    layer_norm_sequence: LayerNormSequence { Input(4, 3), LayerNormalization(epsilon = 1e-5), GRU(2, return_sequences = true) };
    layer_norm_without_affine: LayerNormBare { Input(5), LayerNormalization(center = false, scale = false), Dense(2) };
    layer_norm_first: LayerNormFirst { Input(6), LayerNormalization(scale = false) };
    prelu_vector: PReluVector { Input(4), Dense(6), PReLU(), Dense(2) };
    prelu_image: PReluImage { Input(4, 3, 2), Conv2D(3, 2), PReLU(), Flatten(), Dense(2) };
    prelu_first: PReluFirst { Input(5), PReLU() };
}

// Residual blocks: identity shortcuts, nested blocks, projection shortcuts (Dense, strided
// Conv2D), blocks first and last, and normalisation inside.
gradient_checks! {
    residual_dense: ResidualDense { Input(5), Residual { Dense(6, activation = tanh), Dense(5) }, Dense(2) };
    residual_first_and_last: ResidualEnds { Input(4), Residual { Dense(4, activation = relu) } };
    residual_nested: ResidualNested {
        Input(4), Dense(5, activation = tanh),
        Residual { Dense(5, activation = sigmoid), Residual { Dense(5, activation = tanh), Dense(5) }, Dense(5) },
        Activation(tanh), Dense(2)
    };
    residual_projected_dense: ResidualProjectedDense {
        Input(4), Residual(shortcut = Dense(6)) { Dense(6, activation = tanh), Dense(6) }, Dense(2)
    };
    residual_projected_conv: ResidualProjectedConv {
        Input(6, 5, 2), Conv2D(3, 3, padding = same, activation = tanh),
        Residual(shortcut = Conv2D(4, 1, strides = 2)) { Conv2D(4, 3, strides = 2, padding = same, activation = tanh), Conv2D(4, 3, padding = same) },
        GlobalAveragePooling2D(), Dense(2)
    };
    residual_cnn_batch_norm: ResidualCnnBatchNorm {
        Input(5, 4, 2), Conv2D(3, 3, padding = same),
        Residual { Conv2D(3, 3, padding = same), BatchNormalization(), Activation(tanh), Conv2D(3, 3, padding = same) },
        Activation(tanh), Flatten(), Dense(2)
    } in Train;
    residual_sequence: ResidualSequence { Input(4, 3), Residual { LSTM(3, return_sequences = true) }, GRU(2) };
}
