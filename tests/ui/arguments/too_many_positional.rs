// Dense takes at most four positional arguments.
kiln::model! {
    struct Net { Input(4), Dense(8, relu, true, "hidden", 5), Dense(1) }
}

fn main() {}
