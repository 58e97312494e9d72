// Independent mistakes in different layers are all reported in one build.
kiln::model! {
    struct Net { Input(4), Dense(8, activation = sigmod), Dropuot(0.5), Dense(0) }
}

fn main() {}
