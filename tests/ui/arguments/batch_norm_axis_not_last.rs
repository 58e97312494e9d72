// kiln normalises the last (channels-last) axis only.
kiln::model! {
    struct Net { Input(8, 8, 3), BatchNormalization(axis = 1), Flatten(), Dense(2) }
}

fn main() {}
