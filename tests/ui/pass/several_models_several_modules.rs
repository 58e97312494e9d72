// Several models in one invocation, with docs and visibility, used from other modules.
mod nets {
    kiln::model! {
        /// A classifier.
        pub struct Classifier { Input(8), Dense(16, activation = relu), Dropout(0.5), Dense(3, activation = softmax) }
        /// A regressor.
        pub(crate) struct Regressor { Input(3), Dense(4, activation = "tanh", use_bias = false, name = "hidden"), Dense(1) }
    }
}

mod user {
    pub fn chain() -> f32 {
        let classifier = super::nets::Classifier::new(1);
        let regressor = super::nets::Regressor::new(2);
        // The classifier's 3 outputs are exactly the regressor's 3 inputs.
        regressor.predict(&classifier.predict(&[0.5f32; 8]))[0]
    }
}

fn main() {
    assert!(user::chain().is_finite());
    assert_eq!(nets::Regressor::<f32>::PARAM_COUNT, 3 * 4 + 4 + 1);
}
